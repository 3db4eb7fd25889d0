import type { Request, RequestHandler } from 'express';
import { seesPrivate, type Viewer } from '../app/access.js';
import { allows, authenticate, type Principal } from '../app/tokens.js';
import type { TokenScope } from '../db/schema.js';
import type { ApiDeps } from './deps.js';
import { HttpError } from './http-error.js';

const BEARER = /^Bearer\s+(.+)$/i;

/**
 * Who sent the request, from its `Authorization: Bearer <token>`: the bootstrap admin (API_TOKEN),
 * a stored token, or nobody (null). Looked up once a request.
 */
export async function principalOf(deps: ApiDeps, req: Request): Promise<Principal | null> {
  const cached = (req as Request & { principal?: Principal | null }).principal;
  if (cached !== undefined) return cached;
  const secret = BEARER.exec(req.get('authorization') ?? '')?.[1]?.trim() || sessionSecret(req) || '';
  const principal = secret ? await authenticateGuarded(deps, req, secret) : null;
  (req as Request & { principal?: Principal | null }).principal = principal;
  return principal;
}

/**
 * The principal of a token a client presents (a bearer header, a session cookie, a sign-in form),
 * or null. Guessing tokens is limited per address: refused before trying once the budget of
 * failed authentications is spent, and each failure spends from it.
 */
export async function authenticateGuarded(deps: ApiDeps, req: Request, secret: string): Promise<Principal | null> {
  await deps.limits?.checkAuthFailures(req);
  const principal = await authenticate(deps, secret);
  if (!principal) await deps.limits?.recordAuthFailure(req);
  return principal;
}

/** A route that needs a token with `scope` (read < write < admin): 401 without one, 403 with too little. */
export function requireScope(deps: ApiDeps, scope: TokenScope): RequestHandler {
  return async (req, _res, next) => {
    const principal = await principalOf(deps, req);
    if (!principal) {
      throw new HttpError(
        401,
        'unauthorized',
        req.get('authorization')
          ? 'unknown, revoked or expired bearer token'
          : `this needs "Authorization: Bearer <token>" with the ${scope} scope (create one: npm run cli -- tokens create <name> --scopes ${scope})`,
      );
    }
    if (!allows(principal, scope)) {
      throw new HttpError(
        403,
        'forbidden',
        `this needs a token with the ${scope} scope; this one has ${principal.scopes.join(', ')}`,
      );
    }
    next();
  };
}

/** Who reads, for the application layer's access checks: the token, and a topic feed key when given. */
export async function viewerOf(deps: ApiDeps, req: Request, feedKey?: string): Promise<Viewer> {
  return { principal: await principalOf(deps, req), ...(feedKey ? { feedKey } : {}) };
}

/** The part of a cache key that stands for what the viewer may see (tokens that read all, or the public). */
export function audienceOf(viewer: Viewer): string {
  return seesPrivate(viewer) ? 'all' : 'public';
}

/** Whether the request carries an admin token: it then sees feed URLs and errors unmasked. */
export async function isAdmin(deps: ApiDeps, req: Request): Promise<boolean> {
  const principal = await principalOf(deps, req);
  return principal !== null && allows(principal, 'admin');
}

// A signed-in browser's token (the web app's sign-in, or the queue dashboard's), kept in an
// HttpOnly cookie (scripts cannot read it) that browsers send only with requests of our own site
// (SameSite=Strict).
export const SESSION_COOKIE = 'topicwire_session';
// Sent by the web app with every request: a page of another site cannot make a browser send a
// custom header to us (it would need CORS, which names no such origin), so a request carrying
// the cookie and this header comes from our own pages: no request forgery through the cookie.
export const CLIENT_HEADER = 'x-topicwire-client';
const SESSION_DAYS = 7;

/**
 * The session cookie's token, when it may stand for the request: with the web app's header, or
 * to the queue dashboard (bull-board's own pages cannot add the header; the dashboard refuses
 * changes from other origins itself).
 */
function sessionSecret(req: Request): string | undefined {
  if (!req.get(CLIENT_HEADER) && !req.originalUrl.startsWith('/admin/')) return undefined;
  const match = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]*)`).exec(req.get('cookie') ?? '');
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

/** The Set-Cookie value that signs a browser in with `token` (or out, with null). */
export function sessionCookie(req: Request, token: string | null): string {
  const secure = req.secure ? '; Secure' : '';
  return token === null
    ? `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`
    : `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_DAYS * 86400}${secure}`;
}
