import { pruneItemsBefore } from '../db/items.repository.js';
import { feedsWithUngroupedItems } from '../db/stories.repository.js';
import { deleteExpiredSubscriptions } from '../db/websub.repository.js';
import { groupFeedStories } from './group-stories.js';
import type { WorkerDeps } from './deps.js';

const BATCH = 1000;

/**
 * The daily clean-up: WebSub subscriptions whose lease ran out; items no poll grouped into
 * stories (a feed disabled since they were stored, items from before stories existed); and
 * (with RETENTION_DAYS > 0) items older than that, in batches.
 */
export async function pruneItems(_data: Record<string, never>, deps: WorkerDeps): Promise<void> {
  const { db, config, log } = deps;
  const expired = await deleteExpiredSubscriptions(db);
  if (expired) log.info({ subscriptions: expired }, 'expired websub subscriptions removed');
  let grouped = 0;
  for (const feedId of await feedsWithUngroupedItems(db)) grouped += await groupFeedStories(feedId, deps);
  if (grouped) log.info({ items: grouped }, 'left-over items grouped into stories');
  if (config.RETENTION_DAYS <= 0) return;
  const before = new Date(Date.now() - config.RETENTION_DAYS * 86400_000);
  let total = 0;
  for (;;) {
    const n = await pruneItemsBefore(db, before, BATCH);
    total += n;
    if (n < BATCH) break;
  }
  log.info({ items: total, retentionDays: config.RETENTION_DAYS }, 'old items pruned');
}
