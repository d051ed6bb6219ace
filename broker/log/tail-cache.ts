/**
 * The most recently appended batches of a segment, kept in memory so that tail reads — followers
 * replicating, consumers that are caught up — are served without touching the file. On this machine a
 * file read goes through libuv's thread pool, which under load costs milliseconds per hop (several hops
 * per fetch: index lookup, header scan, data), and that sits directly in the acks=all and end-to-end
 * latency path. A fetch the cache cannot answer (older data) reads the file as before.
 *
 * The cache holds the appended bytes (copies, or buffers their caller handed over), contiguous up to the
 * segment's end: entries are added after their bytes are in the file, dropped oldest first when the
 * process-wide budget is exceeded, and all dropped on truncation. Answers are exactly what a file read
 * of the same range returns (whole batches, same limits).
 */
import type { AppendedBatch } from './appended-batch.js';

/** How an append feeds the cache: copy its bytes, keep its buffer (handed over), or not at all. */
export type TailCacheUse = 'copy' | 'adopt' | 'skip';

/** Bytes of cached batches across every segment of the process (followers read well within this). */
export const DEFAULT_TAIL_CACHE_BUDGET = 64 * 1024 * 1024;

interface CachedBatch {
  /** Position of the batch in its chunk's buffer. */
  start: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

interface CachedChunk {
  readonly owner: TailCache;
  /** Emptied once the chunk leaves its cache, so the budget's queue never keeps its memory alive. */
  bytes: Buffer;
  readonly batches: readonly CachedBatch[];
  evicted: boolean;
}

/** Oldest-first eviction over every segment's cache, so many partitions share one memory bound. */
export class TailCacheBudget {
  private readonly fifo: CachedChunk[] = [];
  private head = 0;
  private bytes = 0;

  constructor(readonly maxBytes = DEFAULT_TAIL_CACHE_BUDGET) {}

  get usedBytes(): number {
    return this.bytes;
  }

  admit(chunk: CachedChunk): void {
    this.fifo.push(chunk);
    this.bytes += chunk.bytes.length;
    while (this.bytes > this.maxBytes && this.head < this.fifo.length) {
      const oldest = this.fifo[this.head++]!;
      if (!oldest.evicted) oldest.owner.evictOldest(oldest);
    }
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * A chunk left its cache (eviction or truncation): its bytes no longer count, and are let go at once.
   * The queue still refers to a cleared chunk until the head passes it (up to 1024 entries): had it kept
   * the bytes, ~1 MB produce batches would keep up to a gigabyte alive beyond the budget.
   */
  released(chunk: CachedChunk): void {
    this.bytes -= chunk.bytes.length;
    chunk.bytes = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

export const sharedTailCacheBudget = new TailCacheBudget();

export class TailCache {
  private chunks: CachedChunk[] = [];

  constructor(private readonly budget: TailCacheBudget = sharedTailCacheBudget) {}

  /**
   * Batches just written at `position` of the segment (`batches` in segment positions). `adopt`: the
   * caller hands `bytes` over (never modified again), so it is kept without a copy — unless it is a
   * small view of a larger allocation (a request among others in one socket read), which the budget
   * would undercount.
   */
  add(bytes: Buffer, position: number, batches: readonly AppendedBatch[], adopt = false): void {
    if (batches.length === 0 || bytes.length === 0) return;
    if (bytes.length > this.budget.maxBytes) {
      // Larger than the whole budget: the cache would no longer reach the segment's end.
      this.clear();
      return;
    }
    const chunk: CachedChunk = {
      owner: this,
      bytes: adopt && bytes.byteLength * 2 >= bytes.buffer.byteLength ? bytes : Buffer.from(bytes),
      batches: batches.map((b) => ({
        start: b.position - position,
        size: b.size,
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
      })),
      evicted: false,
    };
    this.chunks.push(chunk);
    this.budget.admit(chunk);
  }

  /** Drops everything (truncation, segment closed or deleted). */
  clear(): void {
    for (const chunk of this.chunks) {
      chunk.evicted = true;
      this.budget.released(chunk);
    }
    this.chunks = [];
  }

  /** Budget eviction: `chunk` is this cache's oldest (chunks are admitted in append order). */
  evictOldest(chunk: CachedChunk): void {
    if (this.chunks[0] !== chunk) return;
    this.chunks.shift();
    chunk.evicted = true;
    this.budget.released(chunk);
  }

  /**
   * Whole batches from the one holding `fetchOffset`, those entirely below `limit` only, at most
   * `maxBytes` (the first batch alone when it is larger and `minOneBatch`). Undefined when the cache
   * does not hold `fetchOffset` (read the file instead).
   */
  read(fetchOffset: bigint, limit: bigint, maxBytes: number, minOneBatch: boolean): Buffer | undefined {
    const pieces = this.readPieces(fetchOffset, limit, maxBytes, minOneBatch);
    if (pieces === undefined) return undefined;
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }

  /** Like `read`, as views of the cached chunks (nothing copied; a fetch streams them as they are). */
  readPieces(
    fetchOffset: bigint,
    limit: bigint,
    maxBytes: number,
    minOneBatch: boolean,
  ): Buffer[] | undefined {
    const chunks = this.chunks;
    if (chunks.length === 0 || fetchOffset < chunks[0]!.batches[0]!.baseOffset) return undefined;
    // Tail reads ask for recent offsets: search from the newest chunk back.
    let c = chunks.length - 1;
    while (c > 0 && chunks[c]!.batches[0]!.baseOffset > fetchOffset) c--;
    let b = chunks[c]!.batches.findIndex((batch) => batch.lastOffset >= fetchOffset);
    if (b < 0) {
      c++;
      b = 0;
      if (c >= chunks.length) return undefined;
    }
    const pieces: Buffer[] = [];
    let total = 0;
    for (; c < chunks.length; c++, b = 0) {
      const chunk = chunks[c]!;
      let from = -1;
      let to = -1;
      for (; b < chunk.batches.length; b++) {
        const batch = chunk.batches[b]!;
        if (batch.lastOffset >= limit) break;
        if (total + batch.size > maxBytes && !(total === 0 && minOneBatch)) break;
        if (from < 0) from = batch.start;
        to = batch.start + batch.size;
        total += batch.size;
        if (total > maxBytes) break; // the one oversized first batch
      }
      if (from >= 0) pieces.push(chunk.bytes.subarray(from, to));
      if (b < chunk.batches.length) break;
    }
    return pieces;
  }
}
