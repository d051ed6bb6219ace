/**
 * A bounded set of open file handles for closed (non-active) segments, least recently read closed
 * first. One cache may serve many partition logs, which bounds the broker's open files; the active
 * segment of each log keeps its handle outside the cache.
 */
export interface CachedSegment {
  /** Closes the handle unless a read is using it; returns whether it closed. */
  closeIdleHandle(): boolean;
}

export class SegmentHandleCache {
  private readonly recent = new Map<CachedSegment, true>();

  constructor(readonly capacity = 128) {}

  get size(): number {
    return this.recent.size;
  }

  /** Marks a segment's handle as just used, closing the least recently used idle ones over capacity. */
  touch(segment: CachedSegment): void {
    this.recent.delete(segment);
    this.recent.set(segment, true);
    if (this.recent.size <= this.capacity) return;
    for (const candidate of this.recent.keys()) {
      if (this.recent.size <= this.capacity) break;
      if (candidate !== segment && candidate.closeIdleHandle()) this.recent.delete(candidate);
    }
  }

  /** The segment became active again or is gone: the cache no longer manages it. */
  forget(segment: CachedSegment): void {
    this.recent.delete(segment);
  }
}

/** The broker-wide default. */
export const sharedSegmentHandleCache = new SegmentHandleCache();
