import type { Db } from '../db/database.js';
import { listTopicRules, topicsFingerprint } from '../db/topics.repository.js';
import { compileTopics, type TopicMatcher } from '../rules/compile.js';

/**
 * The compiled topics, shared by every job of a worker process. Each call checks the rules'
 * fingerprint (one small query), inside the caller's transaction, so a topic added or changed
 * through any API process is used from the next poll on, without a restart; the matcher is only
 * recompiled when the fingerprint changed, and is swapped whole, never edited.
 */
export class TopicMatcherCache {
  private matcher: TopicMatcher = compileTopics([]);
  private fingerprint: string | null = null;

  async current(db: Db): Promise<TopicMatcher> {
    const fingerprint = await topicsFingerprint(db);
    if (fingerprint !== this.fingerprint) {
      this.matcher = compileTopics(await listTopicRules(db));
      this.fingerprint = fingerprint;
    }
    return this.matcher;
  }
}
