import { currentSnapshot } from '../db/snapshot.repository.js';
import type { AppContext } from './context.js';

/**
 * What version of the stored data a read would see now: equal versions, equal answers. One
 * look-up at a time serves every request that arrived before it started; requests arriving while
 * it runs share the next one (never one that started before they arrived, whose answer could
 * predate a write they saw acknowledged). Many concurrent readers cost one query per round trip.
 */
export class DataVersion {
  private running = false;
  private waiting: { resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly ctx: Pick<AppContext, 'db'>) {}

  current(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.lookUp();
    });
  }

  private lookUp(): void {
    const served = this.waiting;
    this.waiting = [];
    this.running = true;
    currentSnapshot(this.ctx.db).then(
      (version) => this.settle(() => served.forEach((w) => w.resolve(version))),
      (err: unknown) => this.settle(() => served.forEach((w) => w.reject(err))),
    );
  }

  private settle(answer: () => void): void {
    this.running = false;
    answer();
    if (this.waiting.length > 0) this.lookUp();
  }
}
