/**
 * Kafka's buffer.memory: bytes of records accepted but not yet acknowledged. Reservations beyond the
 * limit wait in arrival order, so a fast sender is slowed to the speed of the cluster instead of
 * growing an unbounded queue. A single record larger than the whole budget is admitted once the
 * buffer is empty (otherwise it could never go).
 */
export class BufferMemory {
  private used = 0;
  private readonly waiters: Array<{ bytes: number; resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(readonly limit: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Reserves now if possible (and nobody is queued ahead); false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || !this.fits(bytes)) return false;
    this.used += bytes;
    return true;
  }

  reserve(bytes: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ bytes, resolve, reject }));
  }

  release(bytes: number): void {
    this.used -= bytes;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const waiter = this.waiters.shift()!;
      this.used += waiter.bytes;
      waiter.resolve();
    }
  }

  /** True when a new reservation would not wait. */
  get hasRoom(): boolean {
    return this.waiters.length === 0 && this.used < this.limit;
  }

  /** Fails every queued reservation (the producer is closing). */
  rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private fits(bytes: number): boolean {
    return this.used + bytes <= this.limit || this.used === 0;
  }
}
