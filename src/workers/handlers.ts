import type { Handlers } from '../queue/queues.js';
import type { WorkerDeps } from './deps.js';
import { pollDueFeeds } from './poll-due-feeds.job.js';
import { pruneItems } from './prune-items.job.js';
import { refreshFeed } from './refresh-feed.job.js';
import { retagTopic } from './retag-topic.job.js';
import { deliver, fanOut, verifyIntent } from './websub.jobs.js';

/** One handler per job name: a job without one is a type error. */
export function createHandlers(deps: WorkerDeps): Handlers {
  return {
    'poll-due-feeds': (data) => pollDueFeeds(data, deps),
    'refresh-feed': (data) => refreshFeed(data, deps),
    'retag-topic': (data) => retagTopic(data, deps),
    'prune-items': (data) => pruneItems(data, deps),
    'websub-verify': (data) => verifyIntent(data, deps),
    'websub-fanout': (data) => fanOut(data, deps),
    'websub-deliver': (data) => deliver(data, deps),
  };
}
