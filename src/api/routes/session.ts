import { Router } from 'express';
import { z } from 'zod';
import type { Principal } from '../../app/tokens.js';
import { authenticateGuarded, principalOf, sessionCookie } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { validate } from '../validate.js';

const signIn = z.object({ token: z.string().trim().min(1, 'the token is empty').max(500) });

const sessionDto = (p: Principal) => ({ name: p.kind === 'token' ? p.name : 'API_TOKEN', scopes: p.scopes });

/**
 * /api/v1/session: the web app's sign-in. POST {token} checks an API token and keeps it in the
 * session cookie (HttpOnly, SameSite=Strict; honoured only with the web app's X-Topicwire-Client
 * header, src/api/auth.ts); GET says who is signed in; DELETE signs out.
 */
export function sessionRouter(ctx: ApiDeps): Router {
  const r = Router();

  r.post('/', async (req, res) => {
    const { token } = validate(signIn, req.body, 'body');
    const principal = await authenticateGuarded(ctx, req, token);
    if (!principal) throw new HttpError(401, 'unauthorized', 'unknown, revoked or expired token');
    res.setHeader('Set-Cookie', sessionCookie(req, token));
    res.json({ session: sessionDto(principal) });
  });

  r.get('/', async (req, res) => {
    const principal = await principalOf(ctx, req);
    res.json({ session: principal ? sessionDto(principal) : null });
  });

  r.delete('/', (req, res) => {
    res.setHeader('Set-Cookie', sessionCookie(req, null));
    res.status(204).end();
  });

  return r;
}
