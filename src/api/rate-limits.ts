import type { Request, RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { rateLimited } from '../metrics.js';
import type { RedisClient } from '../queue/redis.js';
import { principalOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { HttpError } from './http-error.js';

/** The budgets: what a request spends, and over how long it refills. */
export type LimitKind = 'read' | 'write' | 'search' | 'websub' | 'auth_failure';

const WINDOWS: Record<LimitKind, { seconds: number; setting: keyof Config }> = {
  read: { seconds: 60, setting: 'RATE_LIMIT_READS' },
  write: { seconds: 60, setting: 'RATE_LIMIT_WRITES' },
  search: { seconds: 60, setting: 'RATE_LIMIT_SEARCHES' },
  websub: { seconds: 3600, setting: 'RATE_LIMIT_WEBSUB' },
  auth_failure: { seconds: 60, setting: 'RATE_LIMIT_AUTH_FAILURES' },
};

/**
 * Request budgets shared by every API process (counted in Redis, rate-limiter-flexible), per
 * token when the request carries a valid one, else per client address (`req.ip`, as TRUST_PROXY
 * says to read it). Over budget: 429 with Retry-After. While Redis is away each process counts
 * on its own (the insurance limiter) rather than letting everything through or refusing it all.
 */
export class RateLimits {
  private readonly limiters = new Map<LimitKind, RateLimiterAbstract>();

  constructor(redis: RedisClient, config: Config) {
    for (const [kind, { seconds, setting }] of Object.entries(WINDOWS) as [LimitKind, (typeof WINDOWS)[LimitKind]][]) {
      const points = config[setting] as number;
      if (points <= 0) continue;
      const options = { points, duration: seconds, keyPrefix: `${config.QUEUE_PREFIX}:rl:${kind}` };
      this.limiters.set(
        kind,
        new RateLimiterRedis({
          ...options,
          storeClient: redis,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(options),
        }),
      );
    }
  }

  /** Middleware spending one unit of `kind` (a function of the request, or null to spend none). */
  spend(deps: ApiDeps, kind: LimitKind | ((req: Request) => LimitKind | null)): RequestHandler {
    return async (req, _res, next) => {
      const which = typeof kind === 'function' ? kind(req) : kind;
      // A budget turned off costs nothing: not even finding out who is asking.
      if (which && this.limiters.has(which)) await this.consume(which, await clientKey(deps, req));
      next();
    };
  }

  /** Refuses a client whose failed authentications used up their budget (brute force). */
  async checkAuthFailures(req: Request): Promise<void> {
    const limiter = this.limiters.get('auth_failure');
    if (!limiter) return;
    const res = await limiter.get(addressKey(req)).catch(() => null);
    if (res && res.consumedPoints >= limiter.points) throw tooMany('auth_failure', res.msBeforeNext);
  }

  /** Counts one failed authentication of the request's address. */
  async recordAuthFailure(req: Request): Promise<void> {
    await this.limiters
      .get('auth_failure')
      ?.consume(addressKey(req))
      .catch(() => {}); // over budget already: the next request is refused by checkAuthFailures
  }

  private async consume(kind: LimitKind, key: string): Promise<void> {
    const limiter = this.limiters.get(kind);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw tooMany(kind, rejection.msBeforeNext);
      throw rejection;
    }
  }
}

const addressKey = (req: Request) => `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;

/** A token's own budget, or its address's. */
async function clientKey(deps: ApiDeps, req: Request): Promise<string> {
  const principal = await principalOf(deps, req);
  if (principal?.kind === 'token') return `token:${principal.id}`;
  if (principal?.kind === 'bootstrap') return 'token:bootstrap';
  return addressKey(req);
}

function tooMany(kind: LimitKind, msBeforeNext: number): HttpError {
  rateLimited.inc({ kind });
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpError(
    429,
    'too_many_requests',
    `too many ${kind.replace('_', ' ')} requests; try again in ${seconds} s`,
    undefined,
    {
      'Retry-After': String(seconds),
    },
  );
}
