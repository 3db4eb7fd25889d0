import { serveTasks } from '../../src/workers/thread-pool.js';

/** A thread for the pool's tests: doubles a number, or fails in the way it is asked to. */
export type TestTask = { value: number } | { exit: number } | { throw: string };

serveTasks((task: TestTask) => {
  if ('exit' in task) process.exit(task.exit);
  if ('throw' in task) throw Object.assign(new RangeError(task.throw), { hint: 'kept', nested: { dropped: true } });
  return task.value * 2;
});
