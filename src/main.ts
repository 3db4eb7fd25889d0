import { loadConfig, loadEnvFile } from './config.js';
import { createDb } from './db/database.js';
import { ensureDatabase } from './db/ensure-database.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './logger.js';
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
  if (!config.API_TOKEN) log.warn('API_TOKEN is not set: reads work, writes (adding feeds and topics) are refused');
  log.info('topicwire started');
}

main().catch((err: unknown) => {
  process.stderr.write(`topicwire: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
