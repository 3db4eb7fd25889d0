import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/api/http-error.js';
import { ReadGate } from '../../src/api/read-gate.js';

const later = () => {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
};

describe('ReadGate', () => {
  it('runs at most `concurrency` at once and the rest in order of arrival', async () => {
    const gate = new ReadGate({ concurrency: 2, queue: 10, waitMs: 5_000 });
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const blockers = Array.from({ length: 5 }, later);
    const runs = blockers.map((b, i) =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await b.done;
        running--;
      }),
    );
    for (const b of blockers) {
      await new Promise((r) => setTimeout(r, 5));
      b.release();
    }
    await Promise.all(runs);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('when the line is full, then the next is turned away at once with 503 and Retry-After', async () => {
    const gate = new ReadGate({ concurrency: 1, queue: 1, waitMs: 5_000 });
    const hold = later();
    const first = gate.run(() => hold.done);
    const second = gate.run(async () => 'second');
    const third = gate.run(async () => 'third').catch((e: unknown) => e);
    const refused = (await third) as HttpError;
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused.status).toBe(503);
    expect(refused.headers['Retry-After']).toBe('2');
    hold.release();
    await first;
    expect(await second).toBe('second');
  });

  it('when a turn does not come within waitMs, then the waiter gets a 503 and leaves the line', async () => {
    const gate = new ReadGate({ concurrency: 1, queue: 5, waitMs: 30 });
    const hold = later();
    const first = gate.run(() => hold.done);
    await expect(gate.run(async () => 'late')).rejects.toMatchObject({ status: 503, code: 'busy' });
    hold.release();
    await first;
    // The slot is free again: the next runs at once.
    expect(await gate.run(async () => 'next')).toBe('next');
  });

  it('when the work fails, then its slot is freed all the same', async () => {
    const gate = new ReadGate({ concurrency: 1, queue: 0, waitMs: 1_000 });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'after')).toBe('after');
  });
});
