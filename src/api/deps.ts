import type { RedisClient } from '../queue/redis.js';
import type { AppContext } from '../app/context.js';

/** What the routes work with: the use cases' context, and Redis for the readiness check. */
export interface ApiDeps extends AppContext {
  redis: RedisClient;
}
