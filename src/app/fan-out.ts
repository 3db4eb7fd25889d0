import { appendStoryEvents, drainOutbox } from '../db/push.repository.js';
import { enabledWebhookIds } from '../db/webhooks.repository.js';
import { liveSubscriptionIds } from '../db/websub.repository.js';
import { FOLLOW_UPS } from '../queue/job-graph.js';
import type { AppContext } from './context.js';

const FANOUT_BATCH = 100;

/**
 * The push outbox's entries, once their items are grouped into stories, go out (the websub-fanout
 * job): each new story is appended to its topic's story log (which live streams read), the new
 * items are queued for each live WebSub subscriber and the new stories for each enabled webhook.
 * The jobs are queued before the entry is deleted, under ids that make a second fan-out of the
 * same entry (a crash between the two) queue nothing twice.
 */
export async function fanOut(ctx: AppContext): Promise<void> {
  for (;;) {
    const taken = await drainOutbox(ctx.db, FANOUT_BATCH, async (trx, entries) => {
      // A batch's entries in three statements, not three each (measured: fan-outs waiting on
      // each other's lock while each made ~300 round trips).
      const topicIds = entries.map((e) => e.topicId);
      const stories = await appendStoryEvents(trx, entries);
      const subscriptions = await liveSubscriptionIds(trx, topicIds);
      const webhooks = await enabledWebhookIds(trx, topicIds);
      const jobs = entries.flatMap((entry, k) =>
        FOLLOW_UPS.afterFanOut(
          entry.id,
          { itemIds: entry.itemIds, storyItemIds: stories[k]!.map((s) => s.itemId) },
          {
            subscriptionIds: subscriptions.get(entry.topicId) ?? [],
            webhookIds: webhooks.get(entry.topicId) ?? [],
          },
        ),
      );
      if (jobs.length) await ctx.jobs.enqueue(...jobs);
    });
    if (taken < FANOUT_BATCH) return;
  }
}
