/**
 * Serial queues: tasks run one after another in submission order, so one task's awaits never
 * interleave with another's. A failing task rejects its own promise only; the tasks after it still run.
 * This module imports nothing, so every layer (coordinator, client, broker, producer, consumer) may use it.
 */

/** A unit of work; a synchronous task is fine too. */
export type SerialTask<T> = () => Promise<T> | T;

/** Something tasks can be run on one at a time (a SerialQueue, or one key of a KeyedSerialQueue). */
export interface SerialRunner {
  run<T>(task: SerialTask<T>): Promise<T>;
}

export class SerialQueue implements SerialRunner {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: SerialTask<T>): Promise<T> {
    const result = this.tail.then(task);
    // The tail never rejects: a failure belongs to its caller, not to the tasks queued after it.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves (never rejects) once every task submitted so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/**
 * One serial queue per key (a partition, a group, a broker): tasks of one key run in order, different
 * keys run side by side. A key is forgotten once its last task has finished, so the map holds only keys
 * with queued work, however many keys pass through.
 */
export class KeyedSerialQueue<K> {
  private readonly lanes = new Map<K, { queue: SerialQueue; pending: number }>();

  run<T>(key: K, task: SerialTask<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queue: new SerialQueue(), pending: 0 };
      this.lanes.set(key, lane);
    }
    const current = lane;
    current.pending++;
    const result = current.queue.run(task);
    const release = (): void => {
      if (--current.pending === 0 && this.lanes.get(key) === current) this.lanes.delete(key);
    };
    result.then(release, release);
    return result;
  }

  /** The queue of one key, as a runner (holds no state of its own, so it never pins the key). */
  lane(key: K): SerialRunner {
    return { run: (task) => this.run(key, task) };
  }

  /** Resolves (never rejects) once every task submitted so far for `key` has finished. */
  idle(key: K): Promise<void> {
    return this.lanes.get(key)?.queue.idle() ?? Promise.resolve();
  }

  /** How many keys have queued or running tasks. */
  get activeKeys(): number {
    return this.lanes.size;
  }
}
