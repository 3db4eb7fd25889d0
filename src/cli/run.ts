import { AppError } from '../app/errors.js';
import { TopicMatcherCache } from '../app/topic-matcher-cache.js';
import { loadConfig, type Config } from '../config.js';
import { createDb } from '../db/database.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { migrateToLatest, migrationsAreCurrent } from '../db/migrate.js';
import { fetchOptions } from '../fetch-options.js';
import { createLogger } from '../logger.js';
import { fetchFeed } from '../pipeline/fetch/fetch-feed.js';
import { createQueues, queueSink } from '../queue/queues.js';
import { redisConnection } from '../queue/redis.js';
import {
  feedsCommand,
  opmlCommand,
  retagCommand,
  tokensCommand,
  topicsCommand,
  UsageError,
  type CliContext,
} from './admin-commands.js';
import { parseCommand } from './parse-command.js';

/** Where a CLI run reads its settings and writes its output (the process's own, or a test's). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

type Command = { help: string; run: (args: string[], io: CliIo, config: () => Config) => Promise<number> };

/** `npm run cli -- <command>`: the operator's tools beside the service (docs/cli.md). */
const COMMANDS: Record<string, Command> = {
  parse: {
    help: 'parse <file-or-url> [more …]   print the normalized feed (docs/contract.md); several inputs print one JSON line each',
    run: (args, _io, config) =>
      parseCommand(args, async (url) => {
        const result = await fetchFeed(url, fetchOptions(config()));
        if (result.kind !== 'ok') throw new Error('the server answered 304 to an unconditional request');
        return { body: result.body, contentType: result.contentType };
      }),
  },
  migrate: {
    help: 'migrate                        apply pending database migrations (creates the database if missing)',
    run: async (_args, io, settings) => {
      const config = settings();
      await ensureDatabase(config.DATABASE_URL);
      const db = createDb(config.DATABASE_URL, 1);
      try {
        const applied = await migrateToLatest(db);
        io.stdout(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
        return 0;
      } finally {
        await db.destroy();
      }
    },
  },
  feeds: {
    help: 'feeds [list] | feeds add <url> [--force] | feeds remove <id>   the subscribed feeds; add fetches the URL (its first poll) and refuses one that is not a feed unless --force',
    run: (args, io, config) => withApp(io, config(), (ctx) => feedsCommand(args, ctx)),
  },
  topics: {
    help: 'topics [list] | topics add <slug> <name> <rule> | topics remove <slug>   topics; a new rule is applied to the stored items by the workers',
    run: (args, io, config) => withApp(io, config(), (ctx) => topicsCommand(args, ctx)),
  },
  opml: {
    help: "opml import <file> | opml export [file]   subscribe to an OPML file's feeds (folders become tags); write every feed as OPML 2.0",
    run: (args, io, config) => withApp(io, config(), (ctx) => opmlCommand(args, ctx)),
  },
  tokens: {
    help: 'tokens [list] | tokens create <name> [--scopes read,write,admin] [--expires <date-time>] | tokens revoke <id>   API tokens; a new secret is printed once',
    run: (args, io, config) => withApp(io, config(), (ctx) => tokensCommand(args, ctx)),
  },
  retag: {
    help: "retag <slug>                   apply a topic's rule to the stored items of the last RETAG_WINDOW_DAYS now, with progress",
    run: (args, io, config) => withApp(io, config(), (ctx) => retagCommand(args, ctx)),
  },
};

/**
 * Runs an admin command with the use cases' context on the configured, migrated database. A
 * refusal prints "<code>: <message>" (exit 1), a wrong call its usage (exit 2).
 */
async function withApp(io: CliIo, config: Config, run: (ctx: CliContext) => Promise<number>): Promise<number> {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 2);
  const redis = redisConnection(config, 'producer');
  redis.on('error', () => {});
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, {}, config.LOG_FORMAT);
  const queues = createQueues(redis, config.QUEUE_PREFIX, log);
  try {
    if (!(await migrationsAreCurrent(db))) {
      throw new UsageError('the database is not migrated: run "npm run cli -- migrate" (or start the service) first');
    }
    return await run({
      db,
      config,
      log,
      jobs: queueSink(queues, config),
      topics: new TopicMatcherCache(),
      out: (line) => io.stdout(line + '\n'),
    });
  } catch (err) {
    if (err instanceof AppError) {
      io.stderr(`${err.code}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      io.stderr(err.message + '\n');
      return 2;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.stderr(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    redis.disconnect();
    await db.destroy();
  }
}

function usage(): string {
  return `usage: npm run cli -- <command>\n\n${Object.values(COMMANDS)
    .map((c) => `  ${c.help}`)
    .join('\n')}\n`;
}

/** Runs one CLI command; returns its exit code (0 done, 1 refused or failed, 2 not a valid call). */
export async function runCli([name, ...args]: string[], io: CliIo): Promise<number> {
  const command = COMMANDS[name ?? ''];
  if (!command || args.includes('--help')) {
    if (command) io.stdout(`usage: npm run cli -- ${command.help}\n`);
    else io.stderr(usage());
    return command ? 0 : 2;
  }
  try {
    return await command.run(args, io, () => loadConfig(io.env));
  } catch (err) {
    io.stderr(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
