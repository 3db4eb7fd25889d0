import type { NewItem } from '../../src/db/schema.js';

/**
 * A stored item's row with every field a test does not care about empty; `n` makes its identity
 * (`id-n`), guid and content hash unique within its feed, and `over` sets what the test is about.
 */
export function itemRow(feedId: number, n: number, over: Partial<NewItem> = {}): NewItem {
  return {
    feed_id: feedId,
    identity_hash: `id-${n}`,
    guid: `g${n}`,
    url: '',
    canonical_url: '',
    title: `T${n}`,
    summary: '',
    content_html: '',
    content_text: '',
    author: '',
    categories: [],
    language: '',
    enclosures: '[]',
    published_at: null,
    updated_at: null,
    sort_at: new Date(),
    fetched_at: new Date(),
    content_hash: `c${n}`,
    ...over,
  };
}
