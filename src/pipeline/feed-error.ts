/**
 * Why a feed (or a WebSub callback) could not be used: one code per cause, the same names in the
 * fetcher, the parsers, WebSub and the API. Only these are a feed's fault; anything else thrown
 * while polling (a lost database connection, a bug) is ours and never counted against the feed.
 */
export const FEED_ERRORS = {
  // The address itself.
  invalid_url: { retryable: false, says: 'not an absolute http(s) URL' },
  blocked_scheme: { retryable: false, says: 'a scheme other than http and https' },
  blocked_address: { retryable: false, says: 'a private or reserved address' },
  // Reaching the server.
  dns_error: { retryable: true, says: 'the host name does not resolve' },
  network_error: { retryable: true, says: 'the connection failed' },
  timeout: { retryable: true, says: 'no complete answer in time' },
  // What the server answered.
  bad_redirect: { retryable: false, says: 'a redirect without a Location' },
  too_many_redirects: { retryable: false, says: 'too many redirects' },
  too_large: { retryable: false, says: 'a body over the size limit' },
  http_not_found: { retryable: false, says: 'HTTP 404: nothing at this address' },
  http_denied: { retryable: false, says: 'HTTP 401 or 403: access refused' },
  http_client_error: { retryable: false, says: 'another HTTP 4xx answer' },
  gone: { retryable: false, says: 'HTTP 410: removed for good' },
  rate_limited: { retryable: true, says: 'HTTP 429 or 503: asked to wait' },
  server_error: { retryable: true, says: 'HTTP 5xx' },
  callback_error: { retryable: true, says: 'a WebSub callback refused the delivery' },
  // What the body is.
  not_a_feed: { retryable: false, says: 'not RSS, Atom, RDF or JSON Feed' },
  no_feed_found: { retryable: false, says: 'an HTML page that advertises no feed' },
  not_opml: { retryable: false, says: 'not an OPML document' },
} as const satisfies Record<string, { retryable: boolean; says: string }>;

export type FeedErrorCode = keyof typeof FEED_ERRORS;

/** The error every stage throws for input it cannot use; the message names the cause for people. */
export class FeedError extends Error {
  /** HTTP status of the answer that failed, when there was one. */
  readonly status: number | null;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds: number | null;

  constructor(
    readonly code: FeedErrorCode,
    message: string,
    extra: { status?: number | null; retryAfterSeconds?: number | null } = {},
  ) {
    super(readable(message));
    this.name = 'FeedError';
    this.status = extra.status ?? null;
    this.retryAfterSeconds = extra.retryAfterSeconds ?? null;
  }

  /** Whether trying again later can help (network trouble, 5xx, 429), from the code alone. */
  get retryable(): boolean {
    return FEED_ERRORS[this.code].retryable || this.status === 408;
  }
}

// A message is shown to people and stored as the feed's last error: a parser's message may quote
// the document, so control characters go (PostgreSQL text cannot hold NUL: the fuzzer found a
// JSON parse error quoting one) and the length is bounded.
const MAX_MESSAGE = 500;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function readable(message: string): string {
  const clean = message.replace(CONTROL, '');
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
}

/** Whether a thrown value is a feed's fault (a FeedError), rather than ours. */
export function isFeedError(err: unknown): err is FeedError {
  return err instanceof FeedError;
}
