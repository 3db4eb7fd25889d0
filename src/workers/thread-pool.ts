import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, type MessagePort } from 'node:worker_threads';

/**
 * CPU-bound work of the worker process run on threads of its own: a poll's event loop then keeps
 * fetching, querying and renewing its jobs' locks while other feeds are parsed, and the process
 * uses more than one core. A fixed number of threads, started on first use, each running one task
 * at a time from a queue shared in arrival order. A thread that dies fails the task it ran and is
 * replaced; the others go on.
 */
export class ThreadPool<In, Out> {
  private readonly threads: Thread[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  /**
   * @param script the module a thread runs (it calls `serveTasks`), as a sibling URL of the
   *   caller's module: its extension follows the caller's (.ts under the test runner, .js built).
   * @param revive turns what a thread reported of an error back into the error to throw.
   */
  constructor(
    private readonly script: URL,
    private readonly size: number,
    private readonly revive: (reported: ReportedError) => Error,
  ) {
    if (size < 1) throw new Error('a thread pool needs at least one thread');
  }

  run(input: In): Promise<Out> {
    if (this.closed) return Promise.reject(new Error('the thread pool is closed'));
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Ends every thread; tasks waiting or running are failed. */
  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error('the thread pool closed');
    for (const task of this.queue.splice(0)) task.reject(closing);
    const threads = this.threads.splice(0);
    for (const t of threads) t.task?.reject(closing);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = this.threads.find((t) => t.task === null);
      if (!thread && this.threads.length < this.size) thread = this.start();
      if (!thread) return;
      const task = this.queue.shift()!;
      thread.task = task;
      // A thread with a task keeps the process alive until it answers; an idle one does not.
      thread.worker.ref();
      thread.worker.postMessage({ id: task.id, input: task.input } satisfies TaskMessage);
    }
  }

  private start(): Thread {
    // Under the test runner the thread runs TypeScript as the tests do: tsx registered in the
    // thread first (Node 20 does not take `--import` for a worker thread).
    const worker =
      extname(fileURLToPath(this.script)) === '.ts'
        ? new Worker(
            `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(this.script.href)}); })`,
            { eval: true },
          )
        : new Worker(this.script);
    const thread: Thread = { worker, task: null };
    worker.on('message', (message: ResultMessage) => {
      const task = thread.task;
      if (!task || task.id !== message.id) return;
      thread.task = null;
      thread.worker.unref();
      if (message.ok) task.resolve(message.output);
      else task.reject(this.revive(message.error));
      this.dispatch();
    });
    const died = (err: Error) => {
      const i = this.threads.indexOf(thread);
      if (i < 0) return;
      this.threads.splice(i, 1);
      thread.task?.reject(new Error(`a worker thread died while running its task: ${err.message}`, { cause: err }));
      thread.task = null;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`it exited with code ${code}`)));
    this.threads.push(thread);
    return thread;
  }
}

/** What a thread reports of an error: its class name, message, and the fields a `revive` reads. */
export interface ReportedError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

/** The body of a thread's module: answers each task with `work`'s result or its error. */
export function serveTasks<In, Out>(work: (input: In) => Promise<Out> | Out, port: MessagePort | null = parentPort) {
  if (!port) throw new Error('serveTasks runs in a worker thread');
  port.on('message', ({ id, input }: TaskMessage) => {
    Promise.resolve()
      .then(() => work(input as In))
      .then(
        (output) => port.postMessage({ id, ok: true, output } satisfies ResultMessage),
        (err: unknown) => port.postMessage({ id, ok: false, error: report(err) } satisfies ResultMessage),
      );
  });
}

function report(err: unknown): ReportedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err))
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
  return { name: err.name, message: err.message, fields };
}

interface Task {
  id: number;
  input: unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}
interface Thread {
  worker: Worker;
  task: Task | null;
}
type TaskMessage = { id: number; input: unknown };
type ResultMessage = { id: number; ok: true; output: unknown } | { id: number; ok: false; error: ReportedError };
