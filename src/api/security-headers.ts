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
 * origin only, none inline) on every response that has a body. They depend on nothing in the
 * request, so helmet is asked for them once (the dozen middlewares it chains cost ~8% of a cached
 * read's CPU), and they are written as the status line is: a 304 carries none (RFC 9110
 * §15.4.5: its client keeps those of the response it stored), which saves setting and removing
 * ten headers on the service's most frequent answer. A header a route set itself is kept.
 */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    const writeHead = res.writeHead as (this: ServerResponse, status: number, ...rest: unknown[]) => ServerResponse;
    // An own property of this response: a sub-application (the queue dashboard) swaps the
    // response's prototype for its own, so a hook there would miss its responses.
    res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      if (status !== 304) for (const [name, value] of HEADERS) if (!this.hasHeader(name)) this.setHeader(name, value);
      return writeHead.call(this, status, ...rest);
    } as typeof res.writeHead;
    next();
  };
}

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
