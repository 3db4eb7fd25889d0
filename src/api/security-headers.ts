import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

// The web app shows articles' images (their HTML sanitized), which live on their sites. Served
// over plain HTTP on a LAN, upgrading its own requests to HTTPS would break the page; TLS, when
// there is one, is the reverse proxy's to enforce (HSTS). Reads and feeds may be fetched by pages
// of other origins (a web feed reader).
const HELMET_OPTIONS = {
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  contentSecurityPolicy: { directives: { imgSrc: ["'self'", 'data:', 'https:'], upgradeInsecureRequests: null } },
} satisfies Parameters<typeof helmet>[0];

const HEADERS = helmetHeaders();

/**
 * Security headers (helmet's defaults: no sniffing, no framing, a strict CSP: scripts of our own
 * origin only, none inline). They depend on nothing in the request, so helmet is asked for them
 * once and each response gets the same list: the dozen middlewares helmet chains cost ~8% of a
 * cached read's CPU.
 */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of HEADERS) res.setHeader(name, value);
    next();
  };
}

/** The names of the security headers, which a 304 leaves out (its client keeps the stored response's). */
export const SECURITY_HEADER_NAMES: readonly string[] = HEADERS.map(([name]) => name);

/** What helmet sets on a response, read off a stand-in response (none of them depends on the request). */
function helmetHeaders(): [string, string][] {
  const set = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string) => set.set(name, value),
    removeHeader: (name: string) => set.delete(name),
  } as unknown as ServerResponse;
  let called = false;
  helmet(HELMET_OPTIONS)({} as IncomingMessage, res, () => (called = true));
  if (!called) throw new Error('helmet did not set its headers synchronously');
  return [...set];
}
