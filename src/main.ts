import { loadConfig, loadEnvFile } from './config.js';
import { createDb } from './db/database.js';
import { ensureDatabase } from './db/ensure-database.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './logger.js';
import { anyTokenExists } from './app/tokens.js';
import { startService } from './service.js';
import { onShutdown } from './shutdown.js';

/**
 * The process entry point (`npm start`): migrations first, then the roles of ROLE — all of them
 * in one process by default; api, worker or scheduler alone for larger installs.
 */
async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, { role: config.ROLE }, config.LOG_FORMAT);
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL);
  const applied = await migrateToLatest(db);
  if (applied.length) log.info({ migrations: applied }, 'migrations applied');
  const service = await startService(config, db, log);
  onShutdown([() => service.close(), () => db.destroy()], log);
  if (!(await anyTokenExists({ db, config }))) {
    log.warn(
      'no API token yet: reads work, writes are refused. Create an admin token (its secret is printed once): npm run cli -- tokens create admin --scopes admin',
    );
  }
  log.info('topicwire started');
}

main().catch((err: unknown) => {
  process.stderr.write(`topicwire: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
