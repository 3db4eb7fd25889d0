import { readFeed } from '../pipeline/read-feed.js';
import { serveTasks } from './thread-pool.js';
import type { ReadFeedInput } from './read-feed-pool.js';

// A thread of the read-feed pool: decode → parse → normalize, off the worker's event loop.
serveTasks(({ bytes, opts }: ReadFeedInput) => readFeed(bytes, opts));
