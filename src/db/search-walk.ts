/**
 * How far a text search should go on walking the timeline, newest first, when its first pass
 * over the newest `seen` items found `found` matches, too few for the page (listItems); null when
 * asking the trigram indexes is cheaper. By the first pass the text is in about found/seen of the
 * items: walking on reads ~limit·seen/found items to fill the page, the indexed query checks
 * every stored item holding the text, ~stored·found/seen, newest or not. The walk may go twice
 * its expected length; if that does not fill the page either, the indexed query still runs.
 */
export function searchWalkLength(limit: number, found: number, seen: number, stored: number): number | null {
  if (found === 0) return null;
  const expected = (limit * seen) / found;
  return expected < (stored * found) / seen ? Math.ceil(2 * expected) : null;
}
