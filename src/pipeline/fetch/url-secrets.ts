/*
 * Feed URLs may carry credentials: `https://user:password@host/feed` (HTTP Basic), or a key in
 * the query (`?apikey=…`, `?token=…`), as private feeds of many services do. They are kept, as
 * given, for fetching; everywhere a reader can see them (the feed list, OPML export, errors,
 * logs) they are masked.
 */

export const MASK = '***';

// Query parameter names that hold secrets, whole or as a part split by "_" or "-" ("api_key",
// "x-auth-token", "session_id"). "key" alone is included: feed services use it for API keys.
const SECRET_PARTS =
  /(^|[_-])(key|apikey|token|auth|authorization|secret|password|passwd|pass|pwd|sig|signature|session|sessionid|sid|credentials?)([_-]|$)/i;
const SECRET_NAMES = /^(code|hash|jwt|otp|hmac|ticket|nonce)$/i;

/** Whether a query parameter's name says its value is a secret. */
export function isSecretParam(name: string): boolean {
  return SECRET_PARTS.test(name) || SECRET_NAMES.test(name);
}

/**
 * The URL with its user name, password and secret-looking query values replaced by "***";
 * the rest (host, path, other parameters) as given. Text that is not a URL comes back as it is.
 */
export function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.username || url.password) {
    if (url.username) url.username = MASK;
    if (url.password) url.password = MASK;
    changed = true;
  }
  // Rebuilt by hand: URLSearchParams would re-encode every other parameter.
  if (url.search.length > 1) {
    const masked = url.search
      .slice(1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        let name = pair.slice(0, eq);
        try {
          name = decodeURIComponent(name.replace(/\+/g, ' '));
        } catch {
          // a malformed name is judged as written
        }
        if (!isSecretParam(name) || pair.length === eq + 1) return pair;
        changed = true;
        return `${pair.slice(0, eq)}=${MASK}`;
      })
      .join('&');
    if (changed) url.search = masked;
  }
  return changed ? url.href.replace(/%2A%2A%2A/g, MASK) : text;
}

// A URL inside free text (an error message): up to whitespace, quotes or brackets, and without
// the sentence's closing punctuation.
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>()[\]{}]*[^\s"'<>()[\]{}.,;:!?]/gi;

/** Free text (an error message, a log line) with every URL in it masked. */
export function maskUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => maskUrl(url));
}

/**
 * A URL ready for fetch(), which refuses credentials in URLs: without them, and the Basic
 * Authorization header they stand for (null when there are none).
 */
export function splitCredentials(url: URL): { url: URL; authorization: string | null } {
  if (!url.username && !url.password) return { url, authorization: null };
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  const user = decodeOrKeep(url.username);
  const password = decodeOrKeep(url.password);
  return { url: bare, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
