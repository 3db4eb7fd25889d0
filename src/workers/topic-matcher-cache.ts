import type { Db } from '../db/database.js';
import { listTopicRules, topicsFingerprint } from '../db/topics.repository.js';
import { compileTopics, type TopicMatcher } from '../rules/match.js';

/**
 * The compiled topics, shared by every job of a worker process. The rules' fingerprint is checked
 * at most every `checkEveryMs`, so a topic added or changed through any API process is used by
 * every worker within seconds, without a restart; the matcher is swapped whole, never edited.
 */
export class TopicMatcherCache {
  private matcher: TopicMatcher = { topics: [] };
  private fingerprint: string | null = null;
  private checkedAt = 0;
  private pending: Promise<TopicMatcher> | null = null;

  constructor(
    private readonly db: Db,
    private readonly checkEveryMs = 2000,
  ) {}

  async current(): Promise<TopicMatcher> {
    if (Date.now() - this.checkedAt < this.checkEveryMs && this.fingerprint !== null) return this.matcher;
    this.pending ??= this.refresh().finally(() => (this.pending = null));
    return this.pending;
  }

  private async refresh(): Promise<TopicMatcher> {
    const fingerprint = await topicsFingerprint(this.db);
    if (fingerprint !== this.fingerprint) {
      this.matcher = compileTopics(await listTopicRules(this.db));
      this.fingerprint = fingerprint;
    }
    this.checkedAt = Date.now();
    return this.matcher;
  }
}
