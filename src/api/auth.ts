import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
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
    if (!bearerMatches(req, expected)) throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token');
    next();
  };
}

/** Whether the request carries the admin token: it then sees feed URLs and errors unmasked. */
export function isAdmin(req: Request, token: string): boolean {
  return token !== '' && bearerMatches(req, Buffer.from(token));
}

function bearerMatches(req: Request, expected: Buffer): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim() ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
