import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** An error with its HTTP status and a stable machine-readable code; the message is for people. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`);
};

/** The one place errors become responses: `{ "error": { "code", "message" } }`, 500s logged, never leaked. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof HttpError) {
      res
        .status(err.status)
        .json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
      return;
    }
    const status =
      (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      // body-parser's errors: malformed JSON, too large, wrong charset.
      const message =
        (err as { type?: string }).type === 'entity.parse.failed'
          ? 'the request body is not valid JSON'
          : (err as Error).message;
      res
        .status(status)
        .json({ error: { code: (err as { type?: string }).type?.replace(/\./g, '_') ?? 'bad_request', message } });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
  };
}
