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
  // A browser signed in to the queue dashboard sends its admin token as a cookie, to /admin only.
  const secret = BEARER.exec(req.get('authorization') ?? '')?.[1]?.trim() || adminCookie(req) || '';
  let principal: Principal | null = null;
  if (secret) {
    // Guessing tokens is limited per address: refused before trying once the budget is spent.
    await deps.limits?.checkAuthFailures(req);
    principal = await authenticate(deps, secret);
    if (!principal) await deps.limits?.recordAuthFailure(req);
  }
  (req as Request & { principal?: Principal | null }).principal = principal;
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

// The admin token a browser signed in to the queue dashboard with (src/api/queue-board.ts), sent
// back only to /admin, never to scripts (HttpOnly) nor from other sites (SameSite=Strict).
export const ADMIN_COOKIE = 'topicwire_admin';

/** The admin token a signed-in browser sends with its requests to /admin (else undefined). */
export function adminCookie(req: Request): string | undefined {
  if (!req.originalUrl.startsWith('/admin/')) return undefined;
  const match = new RegExp(`(?:^|;\\s*)${ADMIN_COOKIE}=([^;]*)`).exec(req.get('cookie') ?? '');
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}
