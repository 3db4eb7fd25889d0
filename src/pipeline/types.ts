/** Types that flow between the pipeline stages (docs/contract.md). */

/** A piece of text as the feed declared it: plain text, or HTML to be sanitized or flattened. */
export interface TextValue {
  value: string;
  type: 'text' | 'html';
}

export interface ParsedLink {
  href: string;
  rel: string;
  type: string;
  length?: string;
}

/** One entry as read from the feed, before any cleaning: the output of parse, the input of normalize. */
export interface ParsedItem {
  guid: string;
  guidIsPermaLink: boolean;
  links: ParsedLink[];
  title: TextValue | null;
  summary: TextValue | null;
  content: TextValue | null;
  author: string;
  categories: string[];
  language: string;
  published: string;
  updated: string;
  /** xml:base in force for this entry, if any. */
  base: string;
  /** RSS <source url>: where the item says it comes from. */
  sourceUrl: string;
}

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'rdf' | 'json' | 'cdf';
  title: TextValue | null;
  description: TextValue | null;
  links: ParsedLink[];
  language: string;
  updated: string;
  base: string;
  /** Minutes, from RSS <ttl>; null when absent. */
  ttlMinutes: number | null;
  /** Seconds between updates from sy:updatePeriod/sy:updateFrequency; null when absent. */
  syndicationSeconds: number | null;
  items: ParsedItem[];
}

export interface Enclosure {
  url: string;
  type: string;
  length: number;
}

/** The normalized item (docs/contract.md), and two link hints for story grouping that `cli parse` leaves out. */
export interface NormalizedItem {
  guid: string;
  url: string;
  title: string;
  summary: string;
  contentHtml: string;
  contentText: string;
  author: string;
  categories: string[];
  language: string;
  published: string | null;
  updated: string | null;
  enclosures: Enclosure[];
  /** The article's own URL when the feed names one besides `url` (an AMP or mobile link): `<link rel="canonical">`, feedburner:origLink. */
  canonicalLink: string;
  /** Where the item says it was first published: RSS `<source url>`, a `<link rel="canonical">` in its content. */
  sourceUrl: string;
}

/** The normalized feed (docs/contract.md). */
export interface NormalizedFeed {
  feed: {
    title: string;
    siteUrl: string;
    feedUrl: string;
    description: string;
    language: string;
    updated: string | null;
    hubs: string[];
  };
  items: NormalizedItem[];
}

/** Hints the feed gives about how often to poll it. */
export interface FeedHints {
  ttlMinutes: number | null;
  syndicationSeconds: number | null;
}

export { FeedError, type FeedErrorCode } from './feed-error.js';
