import { Redis } from 'ioredis';
import { pollFeed, type PollOutcome } from '../../src/app/ingestion.js';
import type { AppContext } from '../../src/app/context.js';
import type { Db } from '../../src/db/database.js';
import { insertFeed } from '../../src/db/feeds.repository.js';
import { HostLimiter } from '../../src/queue/host-limiter.js';
import { deleteKeysUnder } from '../../src/queue/redis.js';
import { FeedServer } from './feed-server.js';
import { createTestDb } from './test-db.js';

/**
 * One document polled as a worker polls it (fetch → read → tag → store): a database of the test's
 * own, a local server for the document, host leases in Redis under `prefix`. For tests that push
 * many hostile documents through the whole pipeline (the feed fuzzer, its regressions).
 */
export interface PollRig {
  db: Db;
  /** Serves `body` at `path`, subscribes a feed to it, polls it once; the feed's id and the outcome. */
  poll(
    ctx: AppContext,
    path: string,
    body: Buffer,
    contentType: string,
  ): Promise<{ feedId: number; outcome: PollOutcome }>;
  stop(): Promise<void>;
}

export async function startPollRig(prefix: string): Promise<PollRig> {
  const { db, drop } = await createTestDb();
  const server = await new FeedServer().start();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const hosts = new HostLimiter(redis, prefix, 100, 60_000);
  return {
    db,
    async poll(ctx, path, body, contentType) {
      server.set(path, { body, contentType });
      try {
        const { feed } = await insertFeed(db, server.url(path), 900);
        return { feedId: feed.id, outcome: await pollFeed(ctx, feed.id, hosts) };
      } finally {
        // The server lets go of the document (a fuzzing run serves hundreds, some of 16 MB).
        server.set(path, { status: 410 });
      }
    },
    async stop() {
      await deleteKeysUnder(redis, prefix).catch(() => {});
      redis.disconnect();
      await server.stop();
      await drop();
    },
  };
}
