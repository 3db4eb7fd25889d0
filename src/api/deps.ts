import type { StoryStream } from '../app/story-stream.js';
import type { Queues } from '../queue/queues.js';
import type { RedisClient } from '../queue/redis.js';
import type { AppContext } from '../app/context.js';
import type { RateLimits } from './rate-limits.js';

/** What the routes work with: the use cases' context, Redis for the readiness check, the request budgets. */
export interface ApiDeps extends AppContext {
  redis: RedisClient;
  /** Request budgets (set by createApp); failed authentications are counted against them. */
  limits?: RateLimits;
  /** The process's live streams (the service closes them when it stops); made by createApp when absent. */
  stories?: StoryStream;
  /** The queues, for the dashboard at /admin/queues (absent: no dashboard). */
  queues?: Queues;
}
