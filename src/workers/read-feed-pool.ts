import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEED_ERRORS, FeedError, type FeedErrorCode } from '../pipeline/feed-error.js';
import type { ReadFeed, ReadFeedFn } from '../pipeline/read-feed.js';
import { ThreadPool, type ReportedError } from './thread-pool.js';

export interface ReadFeedInput {
  bytes: Uint8Array;
  opts: Parameters<ReadFeedFn>[1];
}

/**
 * readFeed on `threads` worker threads: what a feed's fault (a FeedError) was in the thread is
 * one here, with its code; anything else (a bug, a thread that died) is an Error, ours, and the
 * poll is retried without counting against the feed. Threads have the process's heap limits: a
 * smaller one does not contain a document that needs more (V8 then ends the whole process when
 * a large string cannot be allocated, not the thread), so the body size limit stays the guard.
 */
export function readFeedPool(threads: number): { readFeed: ReadFeedFn; close: () => Promise<void> } {
  const script = new URL(`./read-feed-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  const pool = new ThreadPool<ReadFeedInput, ReadFeed>(script, threads, reviveFeedError);
  return { readFeed: (bytes, opts = {}) => pool.run({ bytes, opts }), close: () => pool.close() };
}

/** A FeedError as the thread reported it, rebuilt; any other error as a plain one. */
export function reviveFeedError(reported: ReportedError): Error {
  const { code, status, retryAfterSeconds } = reported.fields;
  if (reported.name === 'FeedError' && typeof code === 'string' && code in FEED_ERRORS) {
    return new FeedError(code as FeedErrorCode, reported.message, {
      status: typeof status === 'number' ? status : null,
      retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : null,
    });
  }
  const err = new Error(reported.message);
  err.name = reported.name;
  return err;
}
