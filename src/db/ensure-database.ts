import pg from 'pg';

/**
 * Creates the configured database when the server is up but the database is not there yet, so
 * that `npm start` works on a fresh Postgres. Throws a one-line, actionable error when the server
 * cannot be reached.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const target = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await target.connect();
    await target.end();
    return;
  } catch (err) {
    await target.end().catch(() => {});
    if ((err as { code?: string }).code !== '3D000') throw unreachable(url, err as Error);
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04')
      throw new Error(`cannot create database "${name}": ${(err as Error).message}`);
  } finally {
    await admin.end().catch(() => {});
  }
}

function unreachable(url: URL, err: Error): Error {
  const where = `${url.hostname}:${url.port || 5432}`;
  return new Error(
    `cannot connect to PostgreSQL at ${where} (${err.message || (err as { code?: string }).code}). ` +
      `Start it (e.g. "pg_ctlcluster --skip-systemctl-redirect 15 main start" or "docker compose up -d postgres") or set DATABASE_URL.`,
  );
}
