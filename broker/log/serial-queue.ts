/**
 * Runs tasks one after another. Each partition log has one: appends, rolls, truncation and retention
 * change the segment list and the end offset, and must not interleave at their awaits.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  drain(): Promise<void> {
    return this.run(async () => undefined);
  }
}
