import type { RedisClient } from '../queue/redis.js';
import { sql } from 'kysely';
import { migrationsAreCurrent } from '../db/migrate.js';
import type { AppContext } from './context.js';

export type Readiness = { ready: boolean; checks: Record<'postgres' | 'redis' | 'migrations', string> };

/** Whether Postgres, Redis and the schema are ready for traffic, each check saying why not. */
export async function readiness(ctx: AppContext, redis: RedisClient): Promise<Readiness> {
  const failed = (e: Error) => `error: ${e.message}`;
  const checks = {
    postgres: await sql`SELECT 1`.execute(ctx.db).then(() => 'ok', failed),
    redis: await withTimeout(redis.ping(), 2000).then(() => 'ok', failed),
    migrations: await migrationsAreCurrent(ctx.db).then((ok) => (ok ? 'ok' : 'error: pending migrations'), failed),
  };
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref()),
  ]);
}
