import { Agent, fetch, type Response } from 'undici';
import { checkUrlAllowed, guardedLookup, type AddressPolicy } from './address-guard.js';
import { FeedError } from './types.js';

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

/** A fetch failure; `retryable` says whether trying again later can help, `retryAfterSeconds` when the server said so. */
export class FetchError extends FeedError {
  constructor(
    message: string,
    code: string,
    readonly retryable: boolean,
    readonly retryAfterSeconds: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message, code);
    this.name = 'FetchError';
  }
}

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
      const res = await fetch(target, { headers, redirect: 'manual', signal, dispatcher: agentFor(opts) });

      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location)
          throw new FetchError(`HTTP ${res.status} without a Location header`, 'bad_redirect', false, null, res.status);
        if (hop >= opts.maxRedirects)
          throw new FetchError(`more than ${opts.maxRedirects} redirects`, 'too_many_redirects', false);
        current = new URL(location, target).href;
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
    throw toFetchError(err, opts);
  }
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new FetchError(`not a valid URL: ${url}`, 'bad_url', false);
  }
}

export async function readLimited(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes && !res.headers.get('content-encoding')) {
    await res.body?.cancel();
    throw new FetchError(`response of ${declared} bytes is over the limit of ${maxBytes}`, 'too_large', false);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        await res.body.cancel().catch(() => {});
        throw new FetchError(
          `response is over the limit of ${maxBytes} bytes (after decompression)`,
          'too_large',
          false,
        );
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, total);
}

function statusError(res: Response): FetchError {
  const s = res.status;
  if (s === 410) return new FetchError('HTTP 410 Gone: the feed was removed', 'gone', false, null, s);
  if (s === 429 || s === 503) {
    return new FetchError(
      `HTTP ${s}: the server asks us to wait`,
      'rate_limited',
      true,
      retryAfter(res.headers.get('retry-after')),
      s,
    );
  }
  if (s >= 500) return new FetchError(`HTTP ${s} from the server`, 'server_error', true, null, s);
  return new FetchError(`HTTP ${s}`, 'client_error', s === 408, null, s);
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

/** Retry-After as seconds (delta-seconds or an HTTP date), or null. */
export function retryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.round((at - now) / 1000));
}

function toFetchError(err: unknown, opts: FetchOptions): FeedError {
  if (err instanceof FeedError) return err;
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const cause = e.cause ?? e;
  if (cause instanceof FeedError) return cause;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(cause.code ?? '')) {
    return new FetchError(`no complete response within ${opts.timeoutMs} ms`, 'timeout', true);
  }
  const code = cause.code ?? 'network_error';
  return new FetchError(
    `network error: ${cause.message || code}`,
    code === 'ENOTFOUND' ? 'dns_error' : 'network_error',
    true,
  );
}
