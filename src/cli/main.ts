import { loadConfig } from '../config.js';
import { createDb } from '../db/database.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { migrateToLatest, migrationsAreCurrent } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import {
  feedsCommand,
  opmlCommand,
  retagCommand,
  topicsCommand,
  UsageError,
  type CliContext,
} from './admin-commands.js';
import { fetchFeed } from '../pipeline/fetch-feed.js';
import { fetchOptions } from '../fetch-options.js';
import { parseCommand } from './parse-command.js';

/** `npm run cli -- <command>`: the operator's tools beside the service. */
const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<number> }> = {
  parse: {
    help: 'parse <file-or-url> [more …]   print the normalized feed (design §4); several inputs print one JSON line each',
    run: (args) =>
      parseCommand(args, async (url) => {
        const result = await fetchFeed(url, fetchOptions(loadConfig()));
        if (result.kind !== 'ok') throw new Error('the server answered 304 to an unconditional request');
        return { body: result.body, contentType: result.contentType };
      }),
  },
  migrate: {
    help: 'migrate                        apply pending database migrations (creates the database if missing)',
    run: async () => {
      const config = loadConfig();
      await ensureDatabase(config.DATABASE_URL);
      const db = createDb(config.DATABASE_URL, 1);
      try {
        const applied = await migrateToLatest(db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
        return 0;
      } finally {
        await db.destroy();
      }
    },
  },
  feeds: {
    help: 'feeds [list] | feeds add <url> | feeds remove <id>   the subscribed feeds (id, status, url, title, last error)',
    run: (args) => withDatabase((ctx) => feedsCommand(args, ctx)),
  },
  topics: {
    help: 'topics [list] | topics add <slug> <name> <rule> | topics remove <slug>   topics; add tags the stored items at once',
    run: (args) => withDatabase((ctx) => topicsCommand(args, ctx)),
  },
  opml: {
    help: "opml import <file> | opml export [file]   subscribe to an OPML file's feeds (folders become tags); write every feed as OPML 2.0",
    run: (args) => withDatabase((ctx) => opmlCommand(args, ctx)),
  },
  retag: {
    help: "retag <slug>                   apply a topic's rule to the stored items of the last RETAG_WINDOW_DAYS now, with progress",
    run: (args) => withDatabase((ctx) => retagCommand(args, ctx)),
  },
};

/** Runs an admin command against the configured, migrated database; an operator's mistake is one line and exit 1. */
async function withDatabase(run: (ctx: CliContext) => Promise<number>): Promise<number> {
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 2);
  try {
    if (!(await migrationsAreCurrent(db)))
      throw new UsageError('the database is not migrated: run "npm run cli -- migrate" (or start the service) first');
    return await run({
      db,
      config,
      log: createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL),
      out: (line) => process.stdout.write(line + '\n'),
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(err.message + '\n');
    return 1;
  } finally {
    await db.destroy();
  }
}

function usage(): string {
  return `usage: npm run cli -- <command>\n\n${Object.values(COMMANDS)
    .map((c) => `  ${c.help}`)
    .join('\n')}\n`;
}

const [name, ...args] = process.argv.slice(2);
const command = COMMANDS[name ?? ''];
if (!command || args.includes('--help')) {
  (command ? process.stdout : process.stderr).write(command ? `usage: npm run cli -- ${command.help}\n` : usage());
  process.exitCode = command ? 0 : 2;
} else {
  try {
    process.exitCode = await command.run(args);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
