import { sql, type Kysely } from 'kysely';

/**
 * The feeds claimed now (a few hundred in flight at most), for the search of claims whose poll
 * job was lost: read every 30 s, it must not scan every feed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX feeds_claimed_idx ON feeds (claimed_until) WHERE claimed_until IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX feeds_claimed_idx`.execute(db);
}
