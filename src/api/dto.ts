import { maskUrl, maskUrlsIn } from '../pipeline/fetch/url-secrets.js';
import type { PollOutcome } from '../app/ingestion.js';
import type { ApiTokenRow, FeedRow, TopicRow, WebhookRow } from '../db/schema.js';
import { seesPrivate, type Viewer } from '../app/access.js';

/** Rows → the JSON the API promises (docs/api.md); the API never returns raw rows. */

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * A feed as the API shows it. Its URL may hold credentials or an API key, kept for fetching:
 * readers see them masked (and in errors too); `reveal` (an admin's request) shows them.
 */
export function feedToDto(f: FeedRow, reveal = false) {
  const shown = reveal ? (text: string) => text : maskUrlsIn;
  return {
    id: f.id,
    url: reveal ? f.url : maskUrl(f.url),
    siteUrl: f.site_url,
    title: f.title,
    description: f.description,
    language: f.language,
    tags: f.tags,
    preferred: f.preferred,
    status: f.status,
    intervalSeconds: f.interval_seconds,
    nextPollAt: iso(f.next_poll_at),
    lastPolledAt: iso(f.last_polled_at),
    lastSuccessAt: iso(f.last_success_at),
    errorCount: f.error_count,
    lastError: f.last_error === null ? null : shown(f.last_error),
    lastErrorCode: f.last_error_code,
    lastErrorAt: iso(f.last_error_at),
    disabledReason: f.disabled_reason === null ? null : shown(f.disabled_reason),
    createdAt: iso(f.created_at),
  };
}

/** Items as every channel shows them (API, live stream, webhooks): src/render/item-json.ts. */
export { itemToDto } from '../render/item-json.js';

/**
 * A topic as the API shows it. Viewers who read private topics (a read token) also get its feed
 * key and the addresses that carry it, for feed readers that cannot send a token.
 */
export function topicToDto(t: TopicRow, viewer: Viewer) {
  return {
    slug: t.slug,
    name: t.name,
    rule: t.rule,
    visibility: t.visibility,
    ...(seesPrivate(viewer) ? { feedKey: t.feed_key } : {}),
    version: t.version,
    retag: { status: t.retag_status, items: t.retagged_items, total: t.retag_total },
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
  };
}

/** A webhook as the API shows it (its secret never: it is answered once, when made). */
export function webhookToDto(w: WebhookRow) {
  return {
    id: w.id,
    url: w.url,
    enabled: w.enabled,
    disabledReason: w.disabled_reason,
    failures: w.failures,
    lastStatus: w.last_status,
    lastError: w.last_error,
    lastAttemptAt: iso(w.last_attempt_at),
    lastSuccessAt: iso(w.last_success_at),
    createdAt: iso(w.created_at),
  };
}

/** What a poll came to (the first poll of a feed just added). */
export function pollToDto(p: PollOutcome) {
  switch (p.kind) {
    case 'stored':
      return { result: 'stored', items: p.items, inserted: p.inserted, updated: p.updated };
    case 'failed':
      return { result: 'failed', error: { code: p.error.code, message: p.error.message }, disabled: p.disabled };
    default:
      return { result: p.kind };
  }
}

/** A token as listed: never its secret (only its hash is stored). */
export function tokenToDto(t: ApiTokenRow) {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    expiresAt: iso(t.expires_at),
    lastUsedAt: iso(t.last_used_at),
    revokedAt: iso(t.revoked_at),
    createdAt: iso(t.created_at),
  };
}
