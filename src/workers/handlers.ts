import { UnrecoverableError } from 'bullmq';
import { followUp, type AppContext } from '../app/context.js';
import { FOLLOW_UPS } from '../queue/job-graph.js';
import { pollFeed } from '../app/ingestion.js';
import {
  indexSearchBacklog,
  pollDueFeeds,
  pruneItems,
  queueLeftOverGrouping,
  releaseGivenUpPoll,
  releaseLostClaims,
  vacuumBusyTables,
  vacuumBusyTablesEvery,
} from '../app/maintenance.js';
import { groupStories } from '../app/stories.js';
import { retagTopic } from '../app/topics.js';
import { fanOut } from '../app/fan-out.js';
import { FinalDeliveryError } from '../app/push-call.js';
import { deliverWebhook } from '../app/webhooks.js';
import { deliver, verifyIntent } from '../app/websub.js';
import type { HostLimiter } from '../queue/host-limiter.js';
import type { Handlers } from '../queue/queues.js';

const VACUUM_BETWEEN_GROUPINGS_MS = 30_000;

/**
 * One handler per job name (a job without one is a type error), each a thin adapter over a use
 * case. A feed's own failure is recorded on the feed and ends its job (the feed's schedule says
 * when to try again); what throws here is retried by BullMQ with backoff: our own trouble
 * (database, Redis, a bug) or a subscriber's callback that may answer later.
 */
export function createHandlers(ctx: AppContext, hosts: HostLimiter): Handlers {
  const vacuumIfDue = vacuumBusyTablesEvery(ctx, VACUUM_BETWEEN_GROUPINGS_MS);
  return {
    'poll-due-feeds': async () => void (await pollDueFeeds(ctx)),
    'refresh-feed': async ({ feedId }) => void (await pollFeed(ctx, feedId, hosts)),
    'group-stories': async ({ feedId }) => {
      await followUp(ctx, FOLLOW_UPS.afterGrouping(await groupStories(ctx)), { feedId });
      await vacuumIfDue();
    },
    'retag-topic': async (data) => void (await retagTopic(ctx, data)),
    'prune-items': () => pruneItems(ctx),
    'group-left-overs': async () => void (await queueLeftOverGrouping(ctx)),
    'release-lost-claims': async () => void (await releaseLostClaims(ctx)),
    'index-search': async () => void (await indexSearchBacklog(ctx)),
    'vacuum-busy-tables': async () => void (await vacuumBusyTables(ctx)),
    'websub-verify': (intent) => final(verifyIntent(ctx, intent)),
    'websub-fanout': () => fanOut(ctx),
    'websub-deliver': (data) => final(deliver(ctx, data)),
    'webhook-deliver': (data) => deliverWebhook(ctx, data),
  };
}

/**
 * What is done when a job fails for good (its last attempt, or stalled too often): work that
 * would otherwise wait for a lease or a daily sweep is handed back now. Errors are the caller's
 * to log (the database may be what made the job fail).
 */
export async function afterGivingUp(ctx: AppContext, job: { name: string; data: unknown }): Promise<void> {
  if (job.name === 'refresh-feed') await releaseGivenUpPoll(ctx, (job.data as { feedId: number }).feedId);
}

/** A refused callback (a private address, not a URL) will be refused again: no retries. */
async function final(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (err instanceof FinalDeliveryError) throw new UnrecoverableError(err.message);
    throw err;
  }
}
