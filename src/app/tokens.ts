import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ApiTokenRow, TokenScope } from '../db/schema.js';
import * as tokens from '../db/tokens.repository.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { parseInput, rowId } from './input.js';

export const SCOPES = ['read', 'write', 'admin'] as const satisfies readonly TokenScope[];

// Secrets are recognisable in a log or a leaked file ("twk_…"): 32 random bytes after the prefix.
const SECRET_PREFIX = 'twk_';

const createInput = z.object({
  name: z.string().trim().min(1, 'give the token a name').max(100),
  scopes: z.array(z.enum(SCOPES)).min(1, 'at least one scope: read, write or admin').default(['read']),
  expiresAt: z
    .string()
    .refine((s) => {
      const t = Date.parse(s);
      return t > Date.now() && t <= Date.parse('9999-12-31T23:59:59Z');
    }, 'a date-time in the future (ISO 8601)')
    .optional(),
});

/** Who a request is: the bootstrap admin (API_TOKEN from the environment), or a stored token. */
export type Principal =
  | { kind: 'bootstrap'; scopes: readonly TokenScope[] }
  | { kind: 'token'; id: number; name: string; scopes: readonly TokenScope[] };

/**
 * Whether a principal may do what needs `scope`: admin can do everything, write includes read.
 */
export function allows(principal: Principal, scope: TokenScope): boolean {
  const has = (s: TokenScope) => principal.scopes.includes(s);
  return has('admin') || has(scope) || (scope === 'read' && has('write'));
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Creates a token; its secret is in the answer, this once, and stored only as a hash. */
export async function createToken(ctx: AppContext, input: unknown): Promise<{ token: ApiTokenRow; secret: string }> {
  const { name, scopes, expiresAt } = parseInput(createInput, input, 'token');
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  const token = await tokens.insertToken(ctx.db, {
    name,
    secretHash: hashOf(secret),
    scopes: [...new Set(scopes)],
    expiresAt: expiresAt ? new Date(expiresAt) : null,
  });
  ctx.log.info({ tokenId: token.id, name, scopes }, 'API token created');
  return { token, secret };
}

export async function listTokens(ctx: AppContext): Promise<ApiTokenRow[]> {
  return tokens.listTokens(ctx.db);
}

/** Revokes a token at once: the next request with it is refused. */
export async function revokeToken(ctx: AppContext, idText: unknown): Promise<void> {
  const id = parseInput(rowId, idText, 'id');
  if (!(await tokens.revokeToken(ctx.db, id))) throw new AppError('not_found', `no live token ${id}`);
  ctx.log.info({ tokenId: id }, 'API token revoked');
}

// When this process last recorded each token's use: the database is written at most once a
// minute a token, not on every request.
const touchedAt = new Map<number, number>();

/** The principal a bearer secret stands for, or null (unknown, revoked or expired). */
export async function authenticate(ctx: AppContext, secret: string): Promise<Principal | null> {
  if (!secret) return null;
  const bootstrap = ctx.config.API_TOKEN;
  if (bootstrap && sameSecret(secret, bootstrap)) return { kind: 'bootstrap', scopes: ['admin'] };
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const now = new Date();
  const token = await tokens.findLiveToken(ctx.db, hashOf(secret), now);
  if (!token) return null;
  if (now.getTime() - (touchedAt.get(token.id) ?? 0) > 60_000) {
    touchedAt.set(token.id, now.getTime());
    await tokens.touchToken(ctx.db, token.id, now);
  }
  return { kind: 'token', id: token.id, name: token.name, scopes: token.scopes };
}

/** Whether anyone can write at all: API_TOKEN set, or a live token stored. */
export async function anyTokenExists(ctx: Pick<AppContext, 'db' | 'config'>): Promise<boolean> {
  return ctx.config.API_TOKEN !== '' || (await tokens.hasLiveTokens(ctx.db, new Date()));
}

function sameSecret(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}
