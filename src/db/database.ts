import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// int8 ids and counts fit in a JS number for any realistic install; strings would leak into every caller.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

export type Db = Kysely<Database>;

/** One pool for the process; the caller destroys it on shutdown. */
export function createDb(databaseUrl: string, max = 10): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    types,
    connectionTimeoutMillis: 10_000,
    // JIT compiles a query whose estimated cost passes a threshold: grouping's lookups (thousands
    // of index probes, each cheap) passed it and paid ~27 ms of compiling to run in ~10 ms.
    options: '-c jit=off',
  });
  // A connection lost (Postgres restarted, pg_terminate_backend) must not crash the process: the
  // pool handles idle clients' errors with this listener, but a client checked out (in a
  // transaction, between two queries) emits 'error' on itself, and an 'error' event without a
  // listener kills Node. The query in flight or the next one fails, and that is reported.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `work` in a transaction whose statements are each cut off past `ms` (an error
 * isStatementTimeout knows), so that one costly query cannot hold its connection for minutes.
 */
export async function withStatementTimeout<T>(db: Db, ms: number, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL statement_timeout = ${sql.lit(Math.max(1, Math.round(ms)))}`.execute(trx);
    return work(trx);
  });
}

/** Whether a query failed because it ran past its statement_timeout (SQLSTATE 57014, query_canceled). */
export function isStatementTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '57014';
}

// PostgreSQL away or restarting: connection refused or reset, the server shutting down or starting
// up (57P01-57P03), a pooled connection cut (node-postgres's own messages).
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/;

/** Whether an error means the database is away (for now), not that the query was wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    (typeof e?.code === 'string' && UNAVAILABLE_CODES.has(e.code)) ||
    (typeof e?.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message))
  );
}

/** Rows' ids gathered by their topic, in the rows' order. */
export function idsByTopic(rows: { id: number | string; topic_id: number | string }[]): Map<number, number[]> {
  const byTopic = new Map<number, number[]>();
  for (const r of rows) {
    const list = byTopic.get(Number(r.topic_id));
    if (list) list.push(Number(r.id));
    else byTopic.set(Number(r.topic_id), [Number(r.id)]);
  }
  return byTopic;
}
