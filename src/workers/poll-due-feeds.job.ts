import { claimDueFeeds } from '../db/feeds.repository.js';
import { hostOf } from '../queue/host-limiter.js';
import { enqueue } from '../queue/queues.js';
import type { WorkerDeps } from './deps.js';

// Long enough for a queued poll to run and retry; a lost job only delays its feed by this much.
const LEASE_SECONDS = 600;

/**
 * The scheduler tick: Postgres says which feeds are due; each gets one refresh job (deduplicated
 * per feed). Feeds of one host due together start HOST_SPACING_MS apart instead of in a burst.
 */
export async function pollDueFeeds(
  _data: Record<string, never>,
  { db, queues, config, log }: WorkerDeps,
): Promise<void> {
  for (;;) {
    const due = await claimDueFeeds(db, config.POLL_BATCH, LEASE_SECONDS);
    const perHost = new Map<string, number>();
    for (const { id, url } of due) {
      const host = hostOf(url);
      const nth = perHost.get(host) ?? 0;
      perHost.set(host, nth + 1);
      await enqueue(queues, 'refresh-feed', { feedId: id }, `feed:${id}`, nth * config.HOST_SPACING_MS);
    }
    if (due.length) log.debug({ feeds: due.length, hosts: perHost.size }, 'enqueued due feeds');
    if (due.length < config.POLL_BATCH) return;
  }
}
