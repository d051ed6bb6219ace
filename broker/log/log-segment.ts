import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { RecordBatchHeader } from '../../protocol/record-batch-header.js';
import type { AppendedBatch } from './appended-batch.js';
import { readFully, scanBatches, type ScanEnd, type ScannedBatch } from './batch-scan.js';
import { OffsetIndex } from './offset-index.js';
import { segmentPaths, type SegmentPaths } from './segment-file-names.js';
import { TimeIndex } from './time-index.js';
import { TailCache, type TailCacheUse } from './tail-cache.js';

/** Where one batch is in a segment: found by offset translation or a timestamp search. */
export interface BatchLocation {
  position: number;
  size: number;
  header: RecordBatchHeader;
}

/**
 * One segment: a `.log` file of whole batches plus its two sparse indexes. `size` and `nextOffset`
 * are the committed end: bytes beyond `size` may be mid-write and no reader looks at them.
 *
 * File handles: a segment opens its handle on first use and counts users (`acquire`/`release`), so
 * the log's handle cache can close idle ones and a deleted segment closes its handle only after the
 * last reader is done (the file itself is unlinked at once; Linux keeps open files readable).
 */
export class LogSegment {
  readonly paths: SegmentPaths;
  /** Committed bytes. */
  size = 0;
  /** One past the last offset in this segment (== baseOffset while empty). */
  nextOffset: bigint;
  /** Newest batch maxTimestamp seen (-1 when none), and the base offset of that batch. */
  maxTimestamp = -1n;
  offsetOfMaxTimestamp = -1n;
  /** When this segment object was created or opened (wall clock). */
  readonly createdMs: number;
  /** The first batch's maxTimestamp (-1 when unknown or absent): segment.ms counts from it. */
  firstBatchTimestamp = -1n;
  /** Bytes written since the last fsync; the flusher syncs dirty segments. */
  dirty = false;
  private bytesSinceLastIndexEntry = 0;
  private handle: FileHandle | null = null;
  private opening: Promise<FileHandle> | null = null;
  private users = 0;
  private retired = false;
  /** The newest batches in memory, so tail reads skip the file (tail-cache.ts). */
  readonly tailCache = new TailCache();

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    readonly offsetIndex: OffsetIndex,
    public timeIndex: TimeIndex,
    private readonly indexIntervalBytes: number,
    nowMs: number,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.nextOffset = baseOffset;
    this.createdMs = nowMs;
  }

  /** A segment object with its indexes, before its log file is opened. */
  private static unopened(dir: string, baseOffset: bigint, indexIntervalBytes: number, nowMs: number) {
    const paths = segmentPaths(dir, baseOffset);
    const segment = new LogSegment(
      dir,
      baseOffset,
      new OffsetIndex(paths.offsetIndex, baseOffset),
      new TimeIndex(paths.timeIndex, baseOffset),
      indexIntervalBytes,
      nowMs,
    );
    return { paths, segment };
  }

  /** A new, empty segment (any leftover file of the same name is emptied). */
  static async create(
    dir: string,
    baseOffset: bigint,
    indexIntervalBytes: number,
    nowMs: number,
  ): Promise<LogSegment> {
    const { paths, segment } = LogSegment.unopened(dir, baseOffset, indexIntervalBytes, nowMs);
    const handle = await open(paths.log, 'w+');
    segment.handle = handle;
    return segment;
  }

  /**
   * An existing segment whose indexes are trusted (clean shutdown, or before the recovery point).
   * `nextOffset` is the next segment's base offset, or null for the last segment, whose tail is then
   * scanned from the last index entry (which also checks it). Returns null when an index fails its
   * sanity check or the tail does not scan cleanly: the caller recovers the segment instead.
   */
  static async load(
    dir: string,
    baseOffset: bigint,
    nextOffset: bigint | null,
    indexIntervalBytes: number,
    nowMs: number,
  ): Promise<LogSegment | null> {
    const paths = segmentPaths(dir, baseOffset);
    const logSize = (await stat(paths.log)).size;
    const offsetIndex = await OffsetIndex.load(paths.offsetIndex, baseOffset, Math.max(logSize, 1));
    if (offsetIndex === null) return null;
    const segment = new LogSegment(
      dir,
      baseOffset,
      offsetIndex,
      new TimeIndex(paths.timeIndex, baseOffset),
      indexIntervalBytes,
      nowMs,
    );
    segment.size = logSize;
    let end: bigint;
    if (nextOffset === null) {
      const last = offsetIndex.lastEntry();
      let next = last.offset;
      let lastPosition = last.position;
      let lastSize = 0;
      let maxTs = -1n;
      let maxTsOffset = -1n;
      const handle = await segment.acquire();
      let scan: ScanEnd;
      try {
        scan = await scanBatches(handle, last.position, logSize, { verifyCrc: true }, (batch) => {
          next = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
          lastPosition = batch.position;
          lastSize = batch.size;
          if (batch.header.maxTimestamp > maxTs) {
            maxTs = batch.header.maxTimestamp;
            maxTsOffset = batch.header.baseOffset;
          }
        });
      } finally {
        segment.release();
      }
      if (scan.problem !== null || scan.validEnd !== logSize) {
        await segment.close();
        return null;
      }
      segment.bytesSinceLastIndexEntry = logSize === 0 ? 0 : lastPosition + lastSize - last.position;
      end = next;
      segment.maxTimestamp = maxTs;
      segment.offsetOfMaxTimestamp = maxTsOffset;
    } else {
      end = nextOffset;
    }
    segment.nextOffset = end;
    const timeIndex = await TimeIndex.load(
      paths.timeIndex,
      baseOffset,
      end > baseOffset ? end : baseOffset + 1n,
    );
    if (timeIndex === null) {
      await segment.close();
      return null;
    }
    segment.timeIndex = timeIndex;
    const lastTime = timeIndex.lastEntry();
    if (lastTime !== null && lastTime.timestamp > segment.maxTimestamp) {
      segment.maxTimestamp = lastTime.timestamp;
      segment.offsetOfMaxTimestamp = lastTime.offset;
    }
    if (nextOffset === null && logSize > 0) {
      const first = await segment.findBatch(0, logSize, () => true);
      segment.firstBatchTimestamp = first?.header.maxTimestamp ?? -1n;
    }
    return segment;
  }

  /**
   * Rebuilds an existing segment from its `.log` file: validates every batch from the start (size,
   * magic, CRC, offsets continuing), cuts the file at the first bad byte, rebuilds both indexes.
   * Reports how many bytes were cut and why.
   */
  static async recover(
    dir: string,
    baseOffset: bigint,
    indexIntervalBytes: number,
    nowMs: number,
  ): Promise<{ segment: LogSegment; truncatedBytes: number; problem: string | null }> {
    const { paths, segment } = LogSegment.unopened(dir, baseOffset, indexIntervalBytes, nowMs);
    const logSize = (await stat(paths.log)).size;
    const handle = await segment.acquire();
    let problem: string | null = null;
    let firstTimestamp: bigint | null = null;
    try {
      let expected: bigint | null = null;
      const scan = await scanBatches(handle, 0, logSize, { verifyCrc: true }, (batch: ScannedBatch) => {
        const { header } = batch;
        const continues =
          expected === null ? header.baseOffset >= baseOffset : header.baseOffset === expected;
        if (!continues || header.lastOffsetDelta < 0) {
          problem = `batch at ${batch.position} has offset ${header.baseOffset}, expected ${expected ?? baseOffset}`;
          return false;
        }
        firstTimestamp ??= header.maxTimestamp;
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        segment.indexBatch({
          position: batch.position,
          size: batch.size,
          baseOffset: header.baseOffset,
          lastOffset,
          maxTimestamp: header.maxTimestamp,
        });
        expected = lastOffset + 1n;
        return true;
      });
      problem ??= scan.problem;
      segment.size = scan.validEnd;
      if (scan.validEnd < logSize) await handle.truncate(scan.validEnd);
    } finally {
      segment.release();
    }
    segment.firstBatchTimestamp = firstTimestamp ?? -1n;
    return { segment, truncatedBytes: logSize - segment.size, problem };
  }

  /**
   * Kafka's segment.ms clock: with timestamps, the time between the first batch here and the
   * incoming one (so producers' clocks, not ours, decide); without, the segment's age.
   */
  msWaitedForRoll(nowMs: number, incomingMaxTimestamp: bigint): number {
    if (this.firstBatchTimestamp >= 0n && incomingMaxTimestamp >= 0n) {
      return Number(incomingMaxTimestamp - this.firstBatchTimestamp);
    }
    return nowMs - this.createdMs;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** When the segment's file was last written (ListOffsets v0 answers by it, as Kafka does). */
  async lastModifiedMs(): Promise<number> {
    return (await stat(this.paths.log)).mtimeMs;
  }

  /** The segment's newest timestamp for time retention: its max timestamp, else its file's mtime. */
  async largestTimestampMs(): Promise<number> {
    if (this.maxTimestamp >= 0n) return Number(this.maxTimestamp);
    return (await stat(this.paths.log)).mtimeMs;
  }

  /** Opens the file handle on first use; pairs with release(). */
  async acquire(): Promise<FileHandle> {
    if (this.retired && this.handle === null) throw new Error(`segment ${this.paths.log} is deleted`);
    this.users++;
    if (this.handle !== null) return this.handle;
    try {
      this.opening ??= open(this.paths.log, 'r+');
      const handle = await this.opening;
      this.handle = handle;
      return handle;
    } catch (error) {
      this.users--;
      throw error;
    } finally {
      this.opening = null;
    }
  }

  release(): void {
    this.users--;
    if (this.users === 0 && this.retired) void this.closeHandle();
  }

  get hasOpenHandle(): boolean {
    return this.handle !== null;
  }

  /** Closes the handle if nobody is using it (the handle cache's eviction). */
  closeIdleHandle(): boolean {
    if (this.users > 0 || this.handle === null) return this.handle === null;
    void this.closeHandle();
    return true;
  }

  /**
   * Writes `bytes` (whole batches, offsets already stamped) at the committed end and indexes them.
   * The caller serialises appends; `size`/`nextOffset` move only after the bytes are in the file.
   */
  async append(
    bytes: Buffer,
    batches: readonly AppendedBatch[],
    tailCache: TailCacheUse = 'copy',
  ): Promise<void> {
    const handle = await this.acquire();
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(
          bytes,
          written,
          bytes.length - written,
          this.size + written,
        );
        written += bytesWritten;
      }
    } finally {
      this.release();
    }
    if (this.size === 0 && batches.length > 0) this.firstBatchTimestamp = batches[0]!.maxTimestamp;
    if (tailCache !== 'skip') this.tailCache.add(bytes, this.size, batches, tailCache === 'adopt');
    // Not cached: the cache must reach the segment's end, or it would answer with a gap.
    else this.tailCache.clear();
    for (const batch of batches) this.indexBatch(batch);
    this.size += bytes.length;
    this.dirty = true;
  }

  /** Kafka's rule: an index entry before a batch once more than index.interval.bytes went unindexed. */
  private indexBatch(batch: AppendedBatch): void {
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(batch.baseOffset, batch.position);
      if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.size;
    if (batch.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = batch.maxTimestamp;
      this.offsetOfMaxTimestamp = batch.baseOffset;
    }
    this.nextOffset = batch.lastOffset + 1n;
  }

  /** Reads `length` committed bytes from `position` (fewer if the file is shorter). */
  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(0, length));
    const handle = await this.acquire();
    try {
      const got = await readFully(handle, buf, position);
      return got === buf.length ? buf : buf.subarray(0, got);
    } finally {
      this.release();
    }
  }

  /**
   * The first batch whose last offset is >= `offset`, searching from the index entry at or before it,
   * and never past `endPosition`. Null when the segment holds no such batch.
   */
  async locateOffset(offset: bigint, endPosition = this.size): Promise<BatchLocation | null> {
    const start = this.offsetIndex.lookup(offset).position;
    return this.findBatch(start, endPosition, (h) => h.baseOffset + BigInt(h.lastOffsetDelta) >= offset);
  }

  /**
   * Where the last whole batch that ends at or before `limit` ends, counting batches from `start` (a
   * batch boundary) and never past `end`; `start` when the first batch alone is longer. Reads only
   * batch headers near `limit` (the offset index jumps there), so a fetch knows its size before any
   * record is read.
   */
  async wholeBatchesEnd(start: number, limit: number, end: number): Promise<number> {
    const indexed = this.offsetIndex.lookupPosition(limit).position;
    let last = indexed > start ? indexed : start;
    const handle = await this.acquire();
    try {
      await scanBatches(handle, last, end, { verifyCrc: false }, (batch) => {
        if (batch.position + batch.size > limit) return false;
        last = batch.position + batch.size;
        return true;
      });
    } finally {
      this.release();
    }
    return last;
  }

  /** The first batch whose maxTimestamp is >= `timestamp`, or null. */
  async locateTimestamp(timestamp: bigint): Promise<BatchLocation | null> {
    const entry = this.timeIndex.lookupBefore(timestamp);
    const start = entry === null ? 0 : this.offsetIndex.lookup(entry.offset).position;
    return this.findBatch(start, this.size, (h) => h.maxTimestamp >= timestamp);
  }

  private async findBatch(
    start: number,
    end: number,
    matches: (header: RecordBatchHeader) => boolean,
  ): Promise<BatchLocation | null> {
    let found: BatchLocation | null = null;
    const handle = await this.acquire();
    try {
      await scanBatches(handle, start, end, { verifyCrc: false }, (batch) => {
        if (!matches(batch.header)) return true;
        found = { position: batch.position, size: batch.size, header: batch.header };
        return false;
      });
    } finally {
      this.release();
    }
    return found;
  }

  /**
   * Removes every batch at or after the one holding `offset` (follower truncation). Returns the new
   * nextOffset, which is `offset` when it falls on a batch boundary.
   */
  async truncateTo(offset: bigint): Promise<bigint> {
    if (offset >= this.nextOffset) return this.nextOffset;
    this.tailCache.clear();
    let cut = 0;
    let newNext = this.baseOffset;
    if (offset > this.baseOffset) {
      const location = await this.locateOffset(offset);
      if (location === null) return this.nextOffset;
      cut = location.position;
      newNext = location.header.baseOffset;
    }
    const handle = await this.acquire();
    try {
      await handle.truncate(cut);
    } finally {
      this.release();
    }
    this.size = cut;
    this.nextOffset = newNext;
    this.offsetIndex.truncateToOffset(newNext);
    this.timeIndex.truncateToOffset(newNext);
    await this.recomputeTailState();
    this.dirty = true;
    return newNext;
  }

  // After a truncation: max timestamp and the unindexed byte count, from the last index entry on.
  private async recomputeTailState(): Promise<void> {
    const last = this.offsetIndex.lastEntry();
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestamp = lastTime?.timestamp ?? -1n;
    this.offsetOfMaxTimestamp = lastTime?.offset ?? -1n;
    let end = last.position;
    const handle = await this.acquire();
    try {
      await scanBatches(handle, last.position, this.size, { verifyCrc: false }, (batch) => {
        end = batch.position + batch.size;
        if (batch.header.maxTimestamp > this.maxTimestamp) {
          this.maxTimestamp = batch.header.maxTimestamp;
          this.offsetOfMaxTimestamp = batch.header.baseOffset;
        }
      });
    } finally {
      this.release();
    }
    this.bytesSinceLastIndexEntry = end - last.position;
  }

  /** fsync of the log file (nothing to do once the segment is closed or deleted). */
  async sync(): Promise<void> {
    if (this.retired && this.handle === null) return;
    const handle = await this.acquire();
    try {
      await handle.sync();
    } finally {
      this.release();
    }
  }

  /**
   * Makes the indexes complete and durable (roll, close): the final max timestamp goes into the time
   * index so a closed segment's newest timestamp survives a restart.
   */
  async saveIndexes({ sync }: { sync: boolean }): Promise<void> {
    if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await this.offsetIndex.save({ sync });
    await this.timeIndex.save({ sync });
  }

  /** fsync of the index files after a roll wrote them. */
  async syncIndexFiles(): Promise<void> {
    for (const path of [this.paths.offsetIndex, this.paths.timeIndex]) {
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  async close(): Promise<void> {
    this.retired = true;
    this.tailCache.clear();
    if (this.users === 0) await this.closeHandle();
  }

  /** Unlinks the files now; the handle closes when the last reader releases it. */
  async deleteFiles(): Promise<void> {
    this.retired = true;
    this.tailCache.clear();
    await Promise.all(
      [this.paths.log, this.paths.offsetIndex, this.paths.timeIndex].map((p) =>
        unlink(p).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
    if (this.users === 0) await this.closeHandle();
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) await handle.close();
  }
}
