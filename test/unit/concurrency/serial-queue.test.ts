import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue, SerialQueue } from '../../../concurrency/serial-queue.js';

/** A promise settled from outside, to hold a task at an await. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('SerialQueue', () => {
  it('runs tasks one at a time in submission order, even when an earlier task awaits longer', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const slow = gate();
    const first = queue.run(async () => {
      events.push('first start');
      await slow.promise;
      events.push('first end');
      return 1;
    });
    const second = queue.run(() => {
      events.push('second');
      return 2;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first start']);
    slow.open();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(events).toEqual(['first start', 'first end', 'second']);
  });

  it('a failing task rejects its own promise only; later tasks still run', async () => {
    const queue = new SerialQueue();
    const failing = queue.run(async () => {
      throw new Error('boom');
    });
    const throwingSync = queue.run(() => {
      throw new Error('sync boom');
    });
    const after = queue.run(async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(throwingSync).rejects.toThrow('sync boom');
    expect(await after).toBe('ran');
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it('idle resolves only after everything submitted before it', async () => {
    const queue = new SerialQueue();
    const held = gate();
    let done = false;
    void queue.run(async () => {
      await held.promise;
      done = true;
    });
    const idle = queue.idle().then(() => done);
    held.open();
    expect(await idle).toBe(true);
  });
});

describe('KeyedSerialQueue', () => {
  it('serialises tasks of one key and lets other keys run beside them', async () => {
    const queue = new KeyedSerialQueue<string>();
    const events: string[] = [];
    const held = gate();
    const a1 = queue.run('a', async () => {
      events.push('a1 start');
      await held.promise;
      events.push('a1 end');
    });
    const a2 = queue.run('a', () => void events.push('a2'));
    const b1 = queue.run('b', () => void events.push('b1'));
    await b1;
    expect(events).toEqual(['a1 start', 'b1']);
    held.open();
    await Promise.all([a1, a2]);
    expect(events).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('a failure in one key poisons neither that key nor another', async () => {
    const queue = new KeyedSerialQueue<number>();
    const failing = queue.run(1, async () => {
      throw new Error('boom');
    });
    const sameKey = queue.run(1, async () => 'same');
    const otherKey = queue.run(2, async () => 'other');
    await expect(failing).rejects.toThrow('boom');
    expect(await sameKey).toBe('same');
    expect(await otherKey).toBe('other');
  });

  it('forgets a key once its last task has finished, so many keys do not pile up', async () => {
    const queue = new KeyedSerialQueue<string>();
    const held = gate();
    const running = queue.run('held', () => held.promise);
    for (let i = 0; i < 1000; i++) await queue.run(`group-${i}`, async () => i);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        queue.run(`failing-${i}`, () => Promise.reject(new Error('x'))).catch(() => undefined),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.activeKeys).toBe(1);
    // A key with work queued behind a running task stays until the last of them is done.
    const queuedBehind = queue.run('held', async () => 'after');
    held.open();
    await running;
    expect(queue.activeKeys).toBe(1);
    expect(await queuedBehind).toBe('after');
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.activeKeys).toBe(0);
  });

  it('lane(key) runs on that key and idle(key) waits for it', async () => {
    const queue = new KeyedSerialQueue<string>();
    const lane = queue.lane('g');
    const held = gate();
    let done = false;
    void lane.run(async () => {
      await held.promise;
      done = true;
    });
    const order: string[] = [];
    const next = queue.run('g', () => void order.push(done ? 'after first' : 'overtook'));
    const idle = queue.idle('g').then(() => done);
    held.open();
    await next;
    expect(order).toEqual(['after first']);
    expect(await idle).toBe(true);
    await expect(queue.idle('never-used')).resolves.toBeUndefined();
  });
});
