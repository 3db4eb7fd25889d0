import { ThreadPool } from '../../src/workers/thread-pool.js';
import type { TestTask } from './test-thread.js';

// A process with nothing open but a thread pool: its task in flight must keep it alive.
const pool = new ThreadPool<TestTask, number>(
  new URL('./test-thread.ts', import.meta.url),
  1,
  (r) => new Error(r.message),
);
console.log(await pool.run({ value: 21 }));
await pool.close();
