import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/** Writes need `Authorization: Bearer <API_TOKEN>`; with no token configured, writes are off. */
export function requireToken(token: string): RequestHandler {
  const expected = Buffer.from(token);
  return (req, _res, next) => {
    if (!token)
      throw new HttpError(
        403,
        'writes_disabled',
        'writes are disabled: set API_TOKEN on the server and send it as a Bearer token',
      );
    const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim() ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token');
    }
    next();
  };
}
