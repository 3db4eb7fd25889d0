/** When to poll a feed next (design §3). Pure: the clock and the randomness come in as arguments. */

const MAX_BACKOFF_SECONDS = 24 * 3600;

/** After a successful poll: the feed's interval (adaptive scheduling refines this; see issue 4). */
export function nextPollAfterSuccess(now: Date, intervalSeconds: number): Date {
  return new Date(now.getTime() + intervalSeconds * 1000);
}

/**
 * After a failed poll: the interval doubled per consecutive failure, capped at a day, with ±20%
 * jitter so that feeds which failed together do not retry together; never sooner than the
 * server's Retry-After.
 */
export function nextPollAfterError(
  now: Date,
  intervalSeconds: number,
  consecutiveErrors: number,
  retryAfterSeconds: number | null = null,
  random: () => number = Math.random,
): Date {
  const backoff = Math.min(MAX_BACKOFF_SECONDS, intervalSeconds * 2 ** Math.min(consecutiveErrors, 20));
  const jittered = backoff * (0.8 + 0.4 * random());
  const seconds = Math.max(jittered, retryAfterSeconds ?? 0);
  return new Date(now.getTime() + seconds * 1000);
}
