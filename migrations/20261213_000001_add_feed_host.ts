import { sql, type Kysely } from 'kysely';

/**
 * Each feed's host as the host leases count it (the URL's host, with a port other than the
 * scheme's), and an index to count a host's feeds when one is claimed: a feed alone on its host
 * (or with no more than HOST_CONCURRENCY feeds there) is polled without a lease. The service
 * writes it with each URL; the feeds stored before are filled in here, a thousand a statement.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').addColumn('host', 'text').execute();
  for (let after = 0; ;) {
    const { rows } = await sql<{ id: number; url: string }>`
      SELECT id, url FROM feeds WHERE id > ${after} ORDER BY id LIMIT 1000`.execute(db);
    if (rows.length === 0) break;
    after = Number(rows[rows.length - 1]!.id);
    await sql`
      UPDATE feeds SET host = d.host
      FROM unnest(${rows.map((r) => Number(r.id))}::bigint[], ${rows.map((r) => hostOfUrl(r.url))}::text[]) AS d(id, host)
      WHERE feeds.id = d.id`.execute(db);
  }
  await sql`CREATE INDEX feeds_host_idx ON feeds (host)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('feeds').dropColumn('host').execute();
}

// As the service's hostOf was when this ran (a migration does not follow later code).
function hostOfUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.toLowerCase();
  }
}
