import { claimDueFeeds } from '../db/feeds.repository.js';
import { enqueue } from '../queue/queues.js';
import type { WorkerDeps } from './deps.js';

// Long enough for a queued poll to run and retry; a lost job only delays its feed by this much.
const LEASE_SECONDS = 600;

/** The scheduler tick: Postgres says which feeds are due; each gets one refresh job (deduplicated per feed). */
export async function pollDueFeeds(_data: Record<string, never>, { db, queues, config, log }: WorkerDeps): Promise<void> {
  for (;;) {
    const ids = await claimDueFeeds(db, config.POLL_BATCH, LEASE_SECONDS);
    for (const feedId of ids) await enqueue(queues, 'refresh-feed', { feedId }, `feed:${feedId}`);
    if (ids.length) log.debug({ feeds: ids.length }, 'enqueued due feeds');
    if (ids.length < config.POLL_BATCH) return;
  }
}
