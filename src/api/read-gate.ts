import { HttpError } from './http-error.js';

/**
 * A bounded line for expensive reads (text searches): at most `concurrency` run at once, each
 * holding one database connection, so that however many arrive the pool keeps connections for
 * health checks, plain pages, writes and polling. Up to `queue` more wait their turn, each at
 * most `waitMs`; beyond that a request is turned away at once with 503 and Retry-After, which
 * costs nothing, instead of waiting for a connection that every other request needs too.
 */
export class ReadGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limits: { concurrency: number; queue: number; waitMs: number },
    private readonly what = 'searches',
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.concurrency) await this.waitTurn();
    else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private waitTurn(): Promise<void> {
    if (this.waiting.length >= this.limits.queue) throw this.busy();
    return new Promise<void>((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        reject(this.busy());
      }, this.limits.waitMs);
      this.waiting.push(turn);
    });
  }

  private busy(): HttpError {
    return new HttpError(503, 'busy', `too many ${this.what} at once; try again in a moment`, undefined, {
      'Retry-After': '2',
    });
  }
}
