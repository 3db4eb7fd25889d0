import { Agent, fetch, type Response } from 'undici';
import { checkUrlAllowed, guardedLookup, type AddressPolicy } from './address-guard.js';
import { splitCredentials } from './url-secrets.js';
import { FeedError } from '../feed-error.js';

export interface FetchOptions {
  etag?: string | null;
  lastModified?: string | null;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  addresses: AddressPolicy;
  userAgent: string;
  accept?: string;
}

export type FetchResult =
  | {
      kind: 'ok';
      body: Uint8Array;
      contentType: string;
      etag: string | null;
      lastModified: string | null;
      finalUrl: string;
      movedTo: string | null;
      maxAgeSeconds: number | null;
    }
  | { kind: 'not-modified'; finalUrl: string; movedTo: string | null; maxAgeSeconds: number | null };

const agents = new Map<string, Agent>();

/** An undici dispatcher whose sockets connect only where the address policy allows (one per policy and timeouts). */
export function agentFor(opts: FetchOptions): Agent {
  const key = `${opts.addresses.allowPrivate}|${opts.addresses.allowList?.join(',')}|${opts.connectTimeoutMs}|${opts.timeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { timeout: opts.connectTimeoutMs, lookup: guardedLookup(opts.addresses) } as Agent.Options['connect'],
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * GET a feed the polite, careful way: conditional headers, redirects followed one hop at a time
 * with every hop checked, one deadline for the whole exchange, and the body read to at most
 * maxBytes after decompression (so a compressed bomb is stopped too).
 */
export async function fetchFeed(url: string, opts: FetchOptions): Promise<FetchResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let current = url;
  let movedTo: string | null = null;
  let permanentSoFar = true;
  try {
    for (let hop = 0; ; hop++) {
      const target = parseUrl(current);
      checkUrlAllowed(target, opts.addresses);
      const headers: Record<string, string> = {
        'user-agent': opts.userAgent,
        accept:
          opts.accept ??
          'application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5',
        'accept-encoding': 'gzip, deflate, br',
      };
      if (opts.etag) headers['if-none-match'] = opts.etag;
      if (opts.lastModified) headers['if-modified-since'] = opts.lastModified;
      // user:password@ in a feed URL is HTTP Basic, sent to that URL's origin only (see redirects).
      const { url: bare, authorization } = splitCredentials(target);
      if (authorization) headers.authorization = authorization;
      const res = await fetch(bare, { headers, redirect: 'manual', signal, dispatcher: agentFor(opts) });

      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location)
          throw new FeedError('bad_redirect', `HTTP ${res.status} without a Location header`, { status: res.status });
        if (hop >= opts.maxRedirects)
          throw new FeedError('too_many_redirects', `more than ${opts.maxRedirects} redirects`);
        current = redirectTarget(location, target);
        permanentSoFar &&= res.status === 301 || res.status === 308;
        if (permanentSoFar) movedTo = current;
        continue;
      }
      if (res.status === 304) {
        await res.body?.cancel();
        return { kind: 'not-modified', finalUrl: current, movedTo, maxAgeSeconds: cacheLifetime(res.headers) };
      }
      if (res.status >= 200 && res.status < 300) {
        const body = await readLimited(res, opts.maxBytes);
        return {
          kind: 'ok',
          body,
          contentType: res.headers.get('content-type') ?? '',
          etag: res.headers.get('etag'),
          lastModified: res.headers.get('last-modified'),
          finalUrl: current,
          movedTo,
          maxAgeSeconds: cacheLifetime(res.headers),
        };
      }
      await res.body?.cancel();
      throw statusError(res);
    }
  } catch (err) {
    throw toFeedError(err, opts);
  }
}

/** Where a redirect leads; the credentials of the URL it came from follow it on the same origin only. */
function redirectTarget(location: string, from: URL): string {
  const next = new URL(location, from);
  if (next.origin === from.origin && !next.username && !next.password) {
    next.username = from.username;
    next.password = from.password;
  }
  return next.href;
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new FeedError('invalid_url', `not a valid URL: ${url}`);
  }
}

export async function readLimited(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes && !res.headers.get('content-encoding')) {
    await res.body?.cancel();
    throw new FeedError('too_large', `response of ${declared} bytes is over the limit of ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        await res.body.cancel().catch(() => {});
        throw new FeedError('too_large', `response is over the limit of ${maxBytes} bytes (after decompression)`);
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, total);
}

function statusError(res: Response): FeedError {
  const status = res.status;
  if (status === 410) return new FeedError('gone', 'HTTP 410 Gone: the feed was removed', { status });
  if (status === 429 || status === 503) {
    const wait = retryAfter(res.headers.get('retry-after'));
    return new FeedError('rate_limited', `HTTP ${status}: the server asks us to wait`, {
      status,
      retryAfterSeconds: wait,
    });
  }
  if (status >= 500) return new FeedError('server_error', `HTTP ${status} from the server`, { status });
  if (status === 404) return new FeedError('http_not_found', 'HTTP 404 Not Found: nothing at this address', { status });
  if (status === 401 || status === 403)
    return new FeedError('http_denied', `HTTP ${status}: access refused`, { status });
  return new FeedError('http_client_error', `HTTP ${status}`, { status });
}

/** How long the server says the response stays fresh: Cache-Control max-age, else Expires − Date; null when unsaid. */
export function cacheLifetime(headers: { get(name: string): string | null }, now = Date.now()): number | null {
  const cc = headers.get('cache-control') ?? '';
  if (/\b(no-cache|no-store)\b/i.test(cc)) return null;
  const maxAge = /\bmax-age\s*=\s*"?(\d+)/i.exec(cc);
  if (maxAge) return Number(maxAge[1]);
  const expires = Date.parse(headers.get('expires') ?? '');
  if (Number.isNaN(expires)) return null;
  const date = Date.parse(headers.get('date') ?? '');
  return Math.max(0, Math.round((expires - (Number.isNaN(date) ? now : date)) / 1000));
}

// A server may ask for any wait; we wait at most this long (and never for an invalid date).
const MAX_RETRY_AFTER_SECONDS = 7 * 86400;

/** Retry-After as seconds (delta-seconds or an HTTP date), at most a week, or null. */
export function retryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const text = value.trim();
  // Digits beyond any number (Infinity) still say "a long time": the cap, not an invalid date.
  const seconds = /^\d+$/.test(text) ? Number(text) : Math.round((Date.parse(text) - now) / 1000);
  return Number.isNaN(seconds) ? null : Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds));
}

function toFeedError(err: unknown, opts: FetchOptions): FeedError {
  if (err instanceof FeedError) return err;
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const cause = e.cause ?? e;
  if (cause instanceof FeedError) return cause;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(cause.code ?? '')) {
    return new FeedError('timeout', `no complete response within ${opts.timeoutMs} ms`);
  }
  const code = cause.code ?? 'network_error';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new FeedError('dns_error', `cannot resolve host: ${cause.message}`);
  return new FeedError('network_error', `network error: ${cause.message || code}`);
}
