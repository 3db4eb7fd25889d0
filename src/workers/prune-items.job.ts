import { pruneItemsBefore } from '../db/items.repository.js';
import { deleteExpiredSubscriptions } from '../db/websub.repository.js';
import type { WorkerDeps } from './deps.js';

const BATCH = 1000;

/**
 * The daily clean-up: WebSub subscriptions whose lease ran out, and (with RETENTION_DAYS > 0)
 * items older than that, in batches.
 */
export async function pruneItems(_data: Record<string, never>, { db, config, log }: WorkerDeps): Promise<void> {
  const expired = await deleteExpiredSubscriptions(db);
  if (expired) log.info({ subscriptions: expired }, 'expired websub subscriptions removed');
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
