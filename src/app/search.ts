import { isStatementTimeout, withStatementTimeout, type Db } from '../db/database.js';
import { feedLabels } from '../db/feeds.repository.js';
import {
  listItemRows,
  matchableItem,
  storyMembers,
  withTopicsAndSources,
  type Cursor,
  type ItemFilter,
  type ItemWithTopics,
} from '../db/items.repository.js';
import type { ItemRow } from '../db/schema.js';
import { compileTopics, matchItem, type TopicMatcher } from '../rules/compile.js';
import { keyCondition } from '../rules/search-query.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { ruleTree } from './topics.js';

/*
 * Search in the rule language (issue 18, docs/api.md "Search"): `q` is a topic rule, and the
 * answer is what a topic with that rule would hold, newest first. The search index narrows the
 * stored items to candidates (src/rules/search-query.ts: a superset of the matches); the rule's
 * own matcher, the one that tags topics, decides each candidate. With stories, an item is shown
 * when no better item of its story (preferred feed, preferred language, earliest) also matches.
 */

// Candidates read per round, and at most per page: a rule the index cannot narrow (a Latin
// prefix alone, a field it does not hold) reads that many of the newest items, and answers the
// matches among them with a cursor to read on.
const ROUND = 200;
const MOST_EXAMINED = 4000;

export interface SearchPage {
  items: ItemWithTopics[];
  /** Where the next page starts: after the page's last item, or after the last item examined. */
  next: Cursor | null;
}

export async function searchItems(
  ctx: AppContext,
  q: string,
  filter: Omit<ItemFilter, 'q' | 'keys'>,
  limit: number,
  cursor: Cursor | null,
): Promise<SearchPage> {
  const tree = ruleTree(q, 'q');
  const matcher = compileTopics([{ id: 0, slug: 'search', rule: q }]);
  const scope: ItemFilter = { ...filter, keys: keyCondition(tree), stories: false };
  return withStatementTimeout(ctx.db, ctx.config.SEARCH_TIMEOUT_MS, (trx) =>
    walk(trx, matcher, scope, filter, limit, cursor),
  ).catch((err: unknown) => {
    if (!isStatementTimeout(err)) throw err;
    throw new AppError(
      'too_costly',
      `the search took longer than ${ctx.config.SEARCH_TIMEOUT_MS} ms; narrow it (a topic, a feed, a time range, rarer words)`,
    );
  });
}

async function walk(
  db: Db,
  matcher: TopicMatcher,
  scope: ItemFilter,
  { stories, preferLang }: Pick<ItemFilter, 'stories' | 'preferLang'>,
  limit: number,
  cursor: Cursor | null,
): Promise<SearchPage> {
  const judge = new Judge(db, matcher);
  const found: ItemRow[] = [];
  let examined = 0;
  let at = cursor;
  let exhausted = false;
  while (found.length <= limit && examined < MOST_EXAMINED) {
    const rows = await listItemRows(db, scope, ROUND, at);
    examined += rows.length;
    await judge.learn(rows);
    let kept = rows.filter((row) => judge.matches(row));
    if (stories) kept = await storyFaces(db, judge, scope, kept, preferLang);
    found.push(...kept);
    const last = rows[rows.length - 1];
    if (rows.length < ROUND || !last) {
      exhausted = true;
      break;
    }
    at = { sortAt: last.sort_at, id: last.id };
  }
  const page = found.slice(0, limit);
  const end = page[page.length - 1];
  const next = found.length > limit && end ? { sortAt: end.sort_at, id: end.id } : exhausted ? null : at;
  return { items: await withTopicsAndSources(db, page), next };
}

/**
 * The rule's verdict on stored items, each judged once a search, with their feeds' titles and
 * preference (what `feed:` terms and story ranking read), each feed read once.
 */
class Judge {
  private readonly feeds = new Map<number, { title: string; preferred: boolean }>();
  private readonly verdicts = new Map<number, boolean>();

  constructor(
    private readonly db: Db,
    private readonly matcher: TopicMatcher,
  ) {}

  /** Reads the feeds of these rows not read yet. */
  async learn(rows: ItemRow[]): Promise<void> {
    const missing = rows.map((r) => r.feed_id).filter((id) => !this.feeds.has(id));
    if (missing.length) for (const [id, label] of await feedLabels(this.db, missing)) this.feeds.set(id, label);
  }

  preferred(row: ItemRow): boolean {
    return this.feeds.get(row.feed_id)?.preferred ?? false;
  }

  matches(row: ItemRow): boolean {
    let verdict = this.verdicts.get(row.id);
    if (verdict === undefined) {
      const feedTitle = this.feeds.get(row.feed_id)?.title ?? '';
      verdict = matchItem(this.matcher, matchableItem(row, feedTitle)).length > 0;
      this.verdicts.set(row.id, verdict);
    }
    return verdict;
  }
}

/**
 * Of matching items, those that stand for their story: no other item of the story that passes
 * the same filters ranks better (a preferred feed's, then one in `preferLang`, then the earliest)
 * and matches too. Items not grouped yet stand for themselves.
 */
async function storyFaces(
  db: Db,
  judge: Judge,
  scope: ItemFilter,
  items: ItemRow[],
  preferLang: string | undefined,
): Promise<ItemRow[]> {
  const storyIds = [...new Set(items.map((i) => i.story_id).filter((s): s is number => s !== null))];
  const members = await storyMembers(db, storyIds, scope);
  await judge.learn(members);
  const lang = preferLang?.toLowerCase();
  const rank = (r: ItemRow) => [
    judge.preferred(r) ? 0 : 1,
    lang && r.language.toLowerCase().startsWith(lang) ? 0 : 1,
    r.sort_at.getTime(),
    r.id,
  ];
  const before = (a: number[], b: number[]) => {
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! < b[k]!;
    return false;
  };
  return items.filter((item) => {
    if (item.story_id === null) return true;
    const mine = rank(item);
    return !members.some(
      (o) => o.story_id === item.story_id && o.id !== item.id && before(rank(o), mine) && judge.matches(o),
    );
  });
}
