/**
 * The broker-wide budget for request bytes being read and queued (Kafka's queued.max.request.bytes,
 * its MemoryPool). A connection claims a frame's size as soon as the size prefix arrives, before the
 * frame's buffer exists, and releases it once the request has been served. When a claim fails the
 * connection stops reading and waits here, so slow or hostile clients cannot make the broker hold more
 * than the pool plus one frame.
 */
export class RequestMemoryPool {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  /** @param maxBytes the pool size; negative means unbounded (Kafka's -1). */
  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /**
   * Claims `size` bytes. An empty pool always grants (a frame larger than what is left still goes
   * through once the pool drains, so the pool must hold the largest frame; config checks that).
   */
  tryClaim(size: number): boolean {
    if (this.maxBytes >= 0 && this.used > 0 && this.used + size > this.maxBytes) return false;
    this.used += size;
    return true;
  }

  release(size: number): void {
    if (size <= 0) return;
    this.used -= size;
    // Every waiter retries; those that still do not fit wait again.
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Calls `wake` once after the next release; returns a function that cancels it. */
  whenReleased(wake: () => void): () => void {
    this.waiters.push(wake);
    return () => {
      const at = this.waiters.indexOf(wake);
      if (at >= 0) this.waiters.splice(at, 1);
    };
  }
}
