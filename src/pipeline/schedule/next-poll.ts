/** When to poll a feed next (docs/fetching.md). Pure: the clock and the randomness come in as arguments. */

const MAX_BACKOFF_SECONDS = 24 * 3600;

/** What the feed and its server say about how often it changes. */
export interface PollHints {
  /** Median time between the feed's recent items, seconds; null with fewer than two items. */
  observedGapSeconds: number | null;
  /** RSS <ttl>, minutes. */
  ttlMinutes: number | null;
  /** sy:updatePeriod / sy:updateFrequency, seconds. */
  syndicationSeconds: number | null;
  /** Cache-Control max-age, or Expires, seconds from now. */
  maxAgeSeconds: number | null;
}

export interface PollBounds {
  defaultSeconds: number;
  minSeconds: number;
  maxSeconds: number;
}

/**
 * After a successful poll: half the feed's observed gap between items (so a new item waits on
 * average a quarter of a gap), or the default interval while there is no history; never sooner
 * than the feed's ttl, its syndication period or the server's cache lifetime say; clamped to
 * [min, max], with ±10% jitter so that feeds added together drift apart.
 */
export function nextPollAfterSuccess(
  now: Date,
  hints: PollHints,
  bounds: PollBounds,
  random: () => number = Math.random,
): Date {
  let seconds = hints.observedGapSeconds !== null ? hints.observedGapSeconds / 2 : bounds.defaultSeconds;
  for (const floor of [
    hints.ttlMinutes !== null ? hints.ttlMinutes * 60 : null,
    hints.syndicationSeconds,
    hints.maxAgeSeconds,
  ]) {
    if (floor !== null && floor > seconds) seconds = floor;
  }
  seconds = Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, seconds));
  return new Date(now.getTime() + seconds * (0.9 + 0.2 * random()) * 1000);
}

/** The median gap between item times (any order), seconds; null with fewer than two. */
export function medianGapSeconds(times: Date[]): number | null {
  if (times.length < 2) return null;
  const sorted = times.map((t) => t.getTime()).sort((a, b) => a - b);
  const gaps = sorted
    .slice(1)
    .map((t, i) => (t - sorted[i]!) / 1000)
    .sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
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

/**
 * Whether a failing feed should be disabled: after `maxFailures` failures in a row that have
 * lasted `days` or longer since it last worked (or since it was added), so that neither a short
 * outage nor a burst of quick retries disables a feed.
 */
export function disableAfterFailures(
  now: Date,
  feed: { consecutiveErrors: number; lastSuccessAt: Date | null; createdAt: Date },
  limits: { maxFailures: number; days: number },
): string | null {
  const since = feed.lastSuccessAt ?? feed.createdAt;
  const failingDays = (now.getTime() - since.getTime()) / 86400_000;
  if (feed.consecutiveErrors < limits.maxFailures || failingDays < limits.days) return null;
  return `disabled after ${feed.consecutiveErrors} failures in a row over ${Math.floor(failingDays)} days`;
}
