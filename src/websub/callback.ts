import { fetch } from 'undici';
import { checkUrlAllowed } from '../pipeline/address-guard.js';
import { agentFor, FetchError, readLimited, type FetchOptions } from '../pipeline/fetch-feed.js';
import { FeedError } from '../pipeline/types.js';

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
 * the subscriber gave; WebSub has no use for moving it). Network failures throw FetchError.
 */
export async function callCallback(
  url: string,
  request: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  opts: FetchOptions,
): Promise<CallbackAnswer> {
  try {
    const target = new URL(url);
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
    if (err instanceof FetchError) throw err;
    // A refused address or scheme (checked here, or by the socket's lookup) will not pass on a retry.
    const refused = err instanceof FeedError ? err : (err as { cause?: unknown }).cause;
    if (refused instanceof FeedError) throw new FetchError(refused.message, refused.code, false);
    if (err instanceof TypeError && /Invalid URL/i.test(err.message))
      throw new FetchError(`not a valid callback URL: ${url}`, 'bad_url', false);
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new FetchError(`callback ${url}: ${cause}`, 'network', true);
  }
}
