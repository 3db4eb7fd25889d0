import { fetch } from 'undici';
import { checkUrlAllowed } from '../pipeline/fetch/address-guard.js';
import { agentFor, readLimited, type FetchOptions } from '../pipeline/fetch/fetch-feed.js';
import { FeedError } from '../pipeline/feed-error.js';

/** What a subscriber's callback answered. */
export interface CallbackAnswer {
  status: number;
  body: string;
}

// A challenge echo is short; nothing a callback says to us needs more.
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One request to a subscriber's callback, under the fetcher's rules: the SSRF guard on the
 * address, one deadline, a bounded answer. Redirects are not followed (a callback is the URL
 * the subscriber gave; WebSub has no use for moving it). Failures throw FeedError (refusals are not
 * retryable, network trouble is).
 */
export async function callCallback(
  url: string,
  request: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  opts: FetchOptions,
): Promise<CallbackAnswer> {
  const target = URL.parse(url);
  if (!target) throw new FeedError('invalid_url', `not a valid callback URL: ${url}`);
  try {
    checkUrlAllowed(target, opts.addresses);
    const res = await fetch(target, {
      method: request.method,
      headers: { 'user-agent': opts.userAgent, ...request.headers },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
      dispatcher: agentFor(opts),
    });
    const body = Buffer.from(await readLimited(res, MAX_ANSWER_BYTES)).toString('utf8');
    return { status: res.status, body };
  } catch (err) {
    // A refused address or scheme (checked here, or by the socket's lookup) is a FeedError.
    const refused = err instanceof FeedError ? err : (err as { cause?: unknown }).cause;
    if (refused instanceof FeedError) throw refused;
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new FeedError('network_error', `callback ${url}: ${cause}`);
  }
}
