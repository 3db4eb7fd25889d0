import type { FeedErrorCode } from '../pipeline/feed-error.js';
import type { MatchedTerm } from '../rules/compile.js';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** The database as the migrations in migrations/ leave it: change both in one commit. */
export interface Database {
  feeds: FeedTable;
  items: ItemTable;
  topics: TopicTable;
  item_topics: ItemTopicTable;
  pruned_identities: PrunedIdentityTable;
  item_bands: ItemBandTable;
  ungrouped_items: UngroupedItemTable;
  websub_subscriptions: WebSubSubscriptionTable;
  websub_outbox: WebSubOutboxTable;
  opml_imports: OpmlImportTable;
  api_tokens: ApiTokenTable;
  topic_events: TopicEventTable;
  search_rekey: { id: number; below_id: number };
  story_index_state: { id: number; generation: ColumnType<string, never, string> };
  webhooks: WebhookTable;
}

/** A topic's new story, numbered in commit order (the live stream's log). */
export interface TopicEventTable {
  id: Generated<number>;
  topic_id: number;
  item_id: number;
  created_at: Timestamp;
}

/** A plain webhook of a topic: new stories are POSTed to it as JSON, signed with its secret. */
export interface WebhookTable {
  id: Generated<number>;
  topic_id: number;
  url: string;
  secret: string;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  /** Failed attempts in a row (a success sets it back to 0). */
  failures: Generated<number>;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  last_success_at: Date | null;
  created_at: Timestamp;
}

export type TokenScope = 'read' | 'write' | 'admin';

/** An API token: only the SHA-256 of its secret is kept. */
export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  secret_hash: string;
  scopes: TokenScope[];
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}
export type ApiTokenRow = Omit<Selectable<ApiTokenTable>, 'secret_hash'>;

/** The feeds an OPML import added, to follow their first polls. */
export interface OpmlImportTable {
  id: Generated<number>;
  feed_ids: number[];
  skipped: number;
  refused: number;
  created_at: Generated<Date>;
}

export type FeedFormatName = 'atom' | 'rss' | 'json';

export interface WebSubSubscriptionTable {
  id: Generated<number>;
  topic_id: number;
  callback: string;
  topic_url: string;
  format: FeedFormatName;
  secret: string | null;
  lease_seconds: number;
  /** Made with a read token (which reads private topics), not only a topic URL. */
  with_token: Generated<boolean>;
  expires_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebSubOutboxTable {
  id: Generated<number>;
  topic_id: number;
  item_ids: number[];
  created_at: Timestamp;
}

/** Items stored and not yet grouped into stories (the group-stories job's work). */
export interface UngroupedItemTable {
  item_id: number;
  feed_id: number;
}

export interface ItemBandTable {
  band_key: number;
  sort_at: Date;
  item_id: number;
  /** The whole fingerprint, so that a lookup drops far candidates from the index alone (decimal text on write). */
  simhash: ColumnType<number, string, string>;
  /** The grouping batch that wrote it (story_index_state): what a worker's index has not read yet. */
  generation: Generated<string>;
}

export interface PrunedIdentityTable {
  feed_id: number;
  identity_hash: string;
  pruned_at: ColumnType<Date, Date | undefined, Date>;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type FeedStatus = 'new' | 'ok' | 'failing' | 'disabled';

export interface FeedTable {
  id: Generated<number>;
  url: string;
  site_url: Generated<string>;
  title: Generated<string>;
  description: Generated<string>;
  language: Generated<string>;
  etag: string | null;
  last_modified: string | null;
  status: ColumnType<FeedStatus, FeedStatus | undefined, FeedStatus>;
  interval_seconds: number;
  next_poll_at: Timestamp;
  last_polled_at: NullableTimestamp;
  last_success_at: NullableTimestamp;
  error_count: Generated<number>;
  last_error: string | null;
  last_error_code: ColumnType<FeedErrorCode | null, FeedErrorCode | null | undefined, FeedErrorCode | null>;
  last_error_at: NullableTimestamp;
  claimed_until: NullableTimestamp;
  disabled_reason: string | null;
  ttl_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  syndication_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  /** The median gap between the feed's newest items when it last stored some (null: unknown, fewer than two). */
  item_gap_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  preferred: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ItemTable {
  id: Generated<number>;
  feed_id: number;
  identity_hash: string;
  guid: string;
  url: string;
  canonical_url: string;
  title: string;
  summary: string;
  content_html: string;
  content_text: string;
  author: string;
  categories: string[];
  language: string;
  enclosures: ColumnType<EnclosureJson[], string, string>;
  published_at: Date | null;
  updated_at: Date | null;
  sort_at: Date;
  fetched_at: Timestamp;
  content_hash: string;
  story_id: number | null;
  story_pinned: Generated<boolean>;
  /**
   * A 64-bit fingerprint: the pool's int8 parser reads it as a lossy number, so code that needs
   * its bits selects `simhash::text` (db/stories.repository.ts); writes take the decimal text.
   */
  simhash: ColumnType<number | null, string | null | undefined, string | null>;
  credited_urls: ColumnType<string[], string[] | undefined, string[]>;
  /** The search index's keys (rules/search-keys.ts); null until the background backfill reaches an older item. */
  search_keys: ColumnType<number[] | null, number[] | null | undefined, number[] | null>;
}

export interface EnclosureJson {
  url: string;
  type: string;
  length: number;
}

export type RetagStatus = 'pending' | 'running' | 'done';
export type TopicVisibility = 'public' | 'private';

export interface TopicTable {
  id: Generated<number>;
  slug: string;
  name: string;
  rule: string;
  version: Generated<number>;
  retag_status: ColumnType<RetagStatus, RetagStatus | undefined, RetagStatus>;
  retagged_items: Generated<number>;
  /** The items the re-tag running (or last run) has to go through; null before the first. */
  retag_total: number | null;
  /**
   * The highest item id when the rule was set (under the topics lock): later items were tagged by
   * this rule as they were stored, so the re-tag stops here. Null: it reads every item of the window.
   */
  retag_through_id: number | null;
  /** Private topics are read with a `read` token or their feed key (src/app/access.ts). */
  visibility: ColumnType<TopicVisibility, TopicVisibility | undefined, TopicVisibility>;
  /** The secret in a private topic's feed addresses, for readers that cannot send a token. */
  feed_key: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ItemTopicTable {
  topic_id: number;
  item_id: number;
  sort_at: Date;
  matched_terms: ColumnType<MatchedTerm[], string, string>;
}

/** item_topics.matched holds the rule engine's explanation of each match, as it gives it. */
export type { MatchedTerm };

export type FeedRow = Selectable<FeedTable>;
export type NewFeed = Insertable<FeedTable>;
export type FeedUpdate = Updateable<FeedTable>;
/** A stored item as read: every column but the search index's keys, which only the database reads. */
export type ItemRow = Omit<Selectable<ItemTable>, 'search_keys'>;
export type NewItem = Insertable<ItemTable>;
export type TopicRow = Selectable<TopicTable>;
export type WebSubSubscriptionRow = Selectable<WebSubSubscriptionTable>;
export type WebhookRow = Selectable<WebhookTable>;
