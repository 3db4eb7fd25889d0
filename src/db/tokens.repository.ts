import { sql } from 'kysely';
import type { Db } from './database.js';
import type { ApiTokenRow, TokenScope } from './schema.js';

const COLUMNS = ['id', 'name', 'scopes', 'expires_at', 'last_used_at', 'revoked_at', 'created_at'] as const;

export async function insertToken(
  db: Db,
  token: { name: string; secretHash: string; scopes: TokenScope[]; expiresAt: Date | null },
): Promise<ApiTokenRow> {
  return db
    .insertInto('api_tokens')
    .values({ name: token.name, secret_hash: token.secretHash, scopes: token.scopes, expires_at: token.expiresAt })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** Every token, newest first, revoked ones included (marked). */
export async function listTokens(db: Db): Promise<ApiTokenRow[]> {
  return db.selectFrom('api_tokens').select(COLUMNS).orderBy('id', 'desc').execute();
}

/** Revokes a token; false when there is no such token (or it was revoked already). */
export async function revokeToken(db: Db, id: number): Promise<boolean> {
  const res = await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The live token with this secret hash (not revoked, not expired), or undefined. */
export async function findLiveToken(db: Db, secretHash: string, now: Date): Promise<ApiTokenRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .select(COLUMNS)
    .where('secret_hash', '=', secretHash)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
}

/** Records a use, at most once a minute a token (a write per request would be one too many). */
export async function touchToken(db: Db, id: number, now: Date): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`${now}::timestamptz - interval '1 minute'`),
      ]),
    )
    .execute();
}

/** Whether any live token exists (the first start says how to make one when none does). */
export async function hasLiveTokens(db: Db, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
