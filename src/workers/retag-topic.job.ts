import { itemsAfter, matchableItem } from '../db/items.repository.js';
import { getTopicRule, lockTopicsShared, replaceItemTags, setRetagProgress } from '../db/topics.repository.js';
import { compileTopics, matchItem } from '../rules/compile.js';
import type { WorkerDeps } from './deps.js';

const BATCH = 500;

/**
 * Applies one topic's rule to the stored items of the window, in batches by id. Each batch
 * replaces that topic's tags of its items, so running it again (after a crash, or twice) gives
 * the same tags. It stops when the topic's rule changes again (the newer job takes over) or the
 * topic is deleted.
 */
export async function retagTopic(
  { topicId, version }: { topicId: number; version: number },
  { db, log, config }: Pick<WorkerDeps, 'db' | 'log' | 'config'>,
  onProgress: (itemsDone: number) => void | Promise<void> = () => {},
): Promise<void> {
  const topic = await getTopicRule(db, topicId);
  if (!topic || topic.version !== version) return;
  const matcher = compileTopics([topic]);
  const since = new Date(Date.now() - config.RETAG_WINDOW_DAYS * 86400_000);
  let afterId = 0;
  let done = 0;
  await setRetagProgress(db, topicId, version, 'running', 0);
  for (;;) {
    const batch = await itemsAfter(db, afterId, since, BATCH);
    if (batch.length === 0) break;
    const tags = batch.flatMap((item) =>
      matchItem(matcher, matchableItem(item, item.feed_title)).map((m) => ({
        itemId: item.id,
        topicId,
        sortAt: item.sort_at,
        terms: m.terms,
      })),
    );
    // Under the topics lock and for this job's version only: a topic changed or deleted since gets
    // no tags from the old rule (the newer job writes its own; a deleted topic failed the job on
    // the foreign key).
    const current = await db.transaction().execute(async (trx) => {
      await lockTopicsShared(trx);
      if ((await getTopicRule(trx, topicId))?.version !== version) return false;
      await replaceItemTags(
        trx,
        batch.map((i) => i.id),
        tags,
        topicId,
      );
      return true;
    });
    if (!current) return;
    afterId = batch[batch.length - 1]!.id;
    done += batch.length;
    await setRetagProgress(db, topicId, version, 'running', done);
    await onProgress(done);
  }
  await setRetagProgress(db, topicId, version, 'done', done);
  log.info({ topicId, items: done }, 'topic re-tagged');
}
