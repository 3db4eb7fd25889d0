import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, isDatabaseUnavailable, type AppErrorCode } from '../app/errors.js';
import type { Logger } from '../logger.js';

/** An error of the HTTP layer itself (a route, a method, a content type) with its status and a stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Headers the answer carries (Retry-After with a 503). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The status of each use case refusal. A URL that does not lead to a feed is 422 (the request
 * was understood; what it points at cannot be used), an address we refuse to fetch is 400.
 */
const STATUS: Record<AppErrorCode, number> = {
  invalid_request: 400,
  invalid_rule: 400,
  too_costly: 503,
  not_found: 404,
  conflict: 409,
  invalid_url: 400,
  blocked_scheme: 400,
  blocked_address: 400,
  not_opml: 400,
  dns_error: 422,
  network_error: 422,
  timeout: 422,
  bad_redirect: 422,
  too_many_redirects: 422,
  too_large: 422,
  http_not_found: 422,
  http_denied: 422,
  http_client_error: 422,
  gone: 422,
  rate_limited: 422,
  server_error: 422,
  callback_error: 422,
  not_a_feed: 422,
  no_feed_found: 422,
};

export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`);
};

/** A body in any other type than `types` is refused with 415 naming the type expected (an empty body passes). */
export function requireBodyType(types: string[], expected: string): RequestHandler {
  return (req, _res, next) => {
    checkBodyType(req, types, expected);
    next();
  };
}

/** requireBodyType's check, for a middleware that does more than it. */
export function checkBodyType(req: Request, types: string[], expected: string): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is(types)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `send the body as ${expected}, not ${req.headers['content-type'] ?? 'without a Content-Type'}`,
    );
  }
}

/** The one place errors become responses: `{ "error": { "code", "message" } }`, 500s logged, never leaked. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof HttpError || err instanceof AppError) {
      const status = err instanceof AppError ? STATUS[err.code] : err.status;
      if (err instanceof HttpError) res.set(err.headers);
      else if (status === 503) res.set('Retry-After', '5');
      res.status(status).json({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
      return;
    }
    const status =
      (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      // body-parser's errors: malformed JSON, too large, wrong charset.
      const type = (err as { type?: string }).type;
      const message = type === 'entity.parse.failed' ? 'the request body is not valid JSON' : (err as Error).message;
      res.status(status).json({ error: { code: type?.replace(/\./g, '_') ?? 'bad_request', message } });
      return;
    }
    if (isDatabaseUnavailable(err)) {
      // Not the request's fault, and not lasting: say so, and when to come back.
      log.warn(
        { err: (err as Error).message, requestId: res.locals.requestId, path: req.path },
        'database unavailable',
      );
      res
        .status(503)
        .set('Retry-After', '5')
        .json({
          error: { code: 'unavailable', message: 'the database is unavailable for a moment; try again shortly' },
        });
      return;
    }
    log.error({ err, requestId: res.locals.requestId, method: req.method, path: req.path }, 'request failed');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
  };
}
