import { pruneItemsBefore } from '../db/items.repository.js';
import type { WorkerDeps } from './deps.js';

const BATCH = 1000;

/** The daily retention job: items older than RETENTION_DAYS go, in batches; 0 keeps everything. */
export async function pruneItems(_data: Record<string, never>, { db, config, log }: WorkerDeps): Promise<void> {
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
