import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { componentLogger, type Logger } from '../../log/logger.js';
import { decodeRecordBatch } from '../../protocol/record-batch.js';
import {
  computeRecordBatchCrc,
  makeAttributes,
  RecordBatchField,
  recordBatchSizeAt,
  stampBaseOffset,
  stampPartitionLeaderEpoch,
  TimestampType,
} from '../../protocol/record-batch-header.js';
import { inspectAppendBatches, type IncomingBatch } from './append-batches.js';
import {
  formatOffsetCheckpoint,
  parseOffsetCheckpoint,
  readOptionalFile,
  removeFileIfPresent,
  syncDirectory,
  writeFileAtomically,
} from './checkpoint-file.js';
import { GroupCommit } from './group-commit.js';
import { LeaderEpochCache, type EpochEndOffset } from './leader-epoch-cache.js';
import { maxDecompressedBytes, resolveLogConfig, type LogConfig } from './log-config.js';
import { LogClosedError, OffsetOutOfRangeError, UnexpectedAppendOffsetError } from './log-errors.js';
import type { AppendedBatch } from './appended-batch.js';
import { LogSegment } from './log-segment.js';
import { EMPTY_SLICE, FileRecordSlice, MemoryRecordSlice, type RecordSlice } from './record-slice.js';
import { sharedSegmentHandleCache, type SegmentHandleCache } from './segment-handle-cache.js';
import { loadSegments } from './segment-loader.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';
import type { TailCacheUse } from './tail-cache.js';

/** Written by close(); its absence on open means the last run crashed and the tail is recovered. */
export const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';
/** Offset below which every segment was fsynced (with its indexes) and need not be re-scanned. */
export const RECOVERY_POINT_FILE = 'recovery-point';
/** logStartOffset when it is inside the first segment (after deleteRecordsBefore). */
export const LOG_START_OFFSET_FILE = 'log-start-offset';

/** ListOffsets' special timestamps. */
export interface SegmentOffsetTime {
  offset: bigint;
  timeMs: number;
}

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export interface PartitionLogOptions {
  /** The partition directory, `<log.dir>/<topic>-<partition>`; created if missing. */
  dir: string;
  config?: Partial<LogConfig>;
  logger?: Logger;
  /** Open handles of closed segments; defaults to one cache shared by every log in the process. */
  handleCache?: SegmentHandleCache;
  /** Wall clock in ms (tests pass a fake one for segment.ms). */
  now?: () => number;
}

export interface AppendOptions {
  /** The leader epoch stamped into each batch (leaders) and recorded in the epoch cache. */
  leaderEpoch: number;
  /** true (leader): assign offsets from the log end. false (follower): keep the leader's offsets. */
  assignOffsets?: boolean;
  /** "Now" for segment.ms; defaults to the log's clock. */
  appendTimeMs?: number;
  /**
   * The tail cache's use of these bytes (tail-cache.ts): 'copy' (default) keeps a copy; 'adopt' keeps
   * the buffer itself — the caller hands it over and never modifies it again (the produce path: each
   * request's buffer is its own); 'skip' keeps nothing (followers: consumers read from leaders, so a
   * cache there would only cost memory and time).
   */
  tailCache?: TailCacheUse;
  /**
   * Every batch's CRC was checked by the caller just before (the leader's produce validation, or
   * batches it recompressed itself), so the append does not compute it a second time.
   */
  crcVerified?: boolean;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The time stamped into the batches under LogAppendTime; -1 under CreateTime (Produce response). */
  logAppendTimeMs: bigint;
  recordsCount: number;
}

export interface ReadOptions {
  /** Soft limit: whole batches only, but see minOneBatch. */
  maxBytes: number;
  /** Exclusive upper bound, e.g. the high watermark for consumers. Defaults to the log end. */
  maxOffset?: bigint;
  /** Return the first batch whole even if it is larger than maxBytes (Kafka's fetch semantics). */
  minOneBatch?: boolean;
  /**
   * `slice` only: a cut read of at most this many bytes is read at once and cut in memory (one file
   * read, as for small fetches) instead of sized from headers and streamed (two). Default: none.
   */
  eagerBytes?: number;
}

export interface ReadResult {
  /** Whole batches exactly as stored (offsets stamped). Empty at the end of the log. */
  records: Buffer;
}

export interface RetentionResult {
  deletedSegments: number;
  logStartOffset: bigint;
}

/** What `PartitionLog.open` found on disk and resolved, handed to the constructor. */
interface OpenedLog {
  dir: string;
  config: LogConfig;
  logger: Logger;
  handleCache: SegmentHandleCache;
  now: () => number;
  /** Recovered segments, oldest first (never empty). */
  segments: LogSegment[];
  startOffset: bigint;
  epochCache: LeaderEpochCache;
}

/**
 * One replica of one topic-partition on disk: a list of segments (the last one active), a leader
 * epoch cache, and the checkpoint files that make restarts cheap and crashes safe.
 *
 * Concurrency (Node is single-threaded, but state interleaves at awaits):
 * - Everything that changes the segment list or the log end (append, roll, truncation, retention,
 *   close) runs on `queue`, one at a time; an append waiting for its fsync has left the queue, so the
 *   next append can write meanwhile and share the fsync (group commit).
 * - Reads run beside the queue. They take a snapshot of the segment list (the list is replaced,
 *   never mutated) and read only below each segment's committed size, which moves after the bytes are
 *   in the file: a reader never sees a half-written batch.
 * - Reads return file bytes copied into a Buffer: Node has no sendfile for sockets, so the bytes pass
 *   through user space once (Kafka's zero-copy path is not available).
 */
export class PartitionLog {
  private segments: readonly LogSegment[];
  private startOffset: bigint;
  private recoveryPoint: bigint;
  private persistedRecoverySegment: bigint = -1n;
  private unflushedMessages = 0;
  private closed = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly queue = new SerialQueue();
  private readonly groupCommit: GroupCommit;
  private readonly background = new Set<Promise<void>>();

  readonly dir: string;
  readonly config: LogConfig;
  private readonly logger: Logger;
  private readonly handleCache: SegmentHandleCache;
  private readonly now: () => number;
  private readonly epochCache: LeaderEpochCache;

  private constructor(opened: OpenedLog) {
    ({
      dir: this.dir,
      config: this.config,
      logger: this.logger,
      handleCache: this.handleCache,
      now: this.now,
      epochCache: this.epochCache,
    } = opened);
    this.segments = opened.segments;
    this.startOffset = opened.startOffset;
    this.recoveryPoint = this.logEndOffset;
    this.groupCommit = new GroupCommit(() => this.syncDirtySegments());
  }

  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const config = resolveLogConfig(options.config);
    const now = options.now ?? Date.now;
    const logger = options.logger ?? componentLogger('partition-log', { dir: options.dir });
    const { dir } = options;
    await mkdir(dir, { recursive: true });

    const clean = await removeFileIfPresent(join(dir, CLEAN_SHUTDOWN_FILE));
    const recoveryText = await readOptionalFile(join(dir, RECOVERY_POINT_FILE));
    const recoveryPoint = recoveryText === null ? 0n : (parseOffsetCheckpoint(recoveryText) ?? 0n);
    const startText = await readOptionalFile(join(dir, LOG_START_OFFSET_FILE));
    const persistedStart = startText === null ? null : parseOffsetCheckpoint(startText);

    const segments = await loadSegments(dir, config, now(), clean, recoveryPoint, logger);
    if (segments.length === 0) {
      segments.push(await LogSegment.create(dir, persistedStart ?? 0n, config.indexIntervalBytes, now()));
    }
    const first = segments[0]!;
    const end = segments.at(-1)!.nextOffset;
    let startOffset = first.baseOffset;
    if (persistedStart !== null && persistedStart > startOffset)
      startOffset = persistedStart < end ? persistedStart : end;

    const epochCache = await LeaderEpochCache.load(dir, logger);
    const epochsChanged = epochCache.truncateFromEnd(end) || epochCache.truncateFromStart(startOffset);
    if (epochsChanged) await epochCache.save();

    const log = new PartitionLog({
      dir,
      config,
      logger,
      handleCache: options.handleCache ?? sharedSegmentHandleCache,
      now,
      segments,
      startOffset,
      epochCache,
    });
    for (const segment of segments.slice(0, -1)) {
      if (segment.hasOpenHandle) log.handleCache.touch(segment);
    }
    if (!clean) {
      // Whatever recovery kept is now the log: make it durable before trusting it as a recovery point.
      for (const segment of segments) segment.dirty = true;
      log.groupCommit.noteWrite();
      await log.groupCommit.waitDurable();
      await log.persistRecoveryPoint(true);
    } else {
      log.persistedRecoverySegment = log.activeSegment.baseOffset;
    }
    if (Number.isFinite(config.flushIntervalMs)) {
      log.flushTimer = setInterval(() => log.flushOnTimer(), config.flushIntervalMs);
      log.flushTimer.unref();
    }
    logger.debug(
      { clean, logStartOffset: startOffset, logEndOffset: end, segments: segments.length },
      'partition log opened',
    );
    return log;
  }

  /** First offset a fetch may ask for. */
  get logStartOffset(): bigint {
    return this.startOffset;
  }

  /** The offset the next appended record gets (LEO). */
  get logEndOffset(): bigint {
    return this.activeSegment.nextOffset;
  }

  /** Offsets below this are fsynced. */
  get flushedOffset(): bigint {
    return this.recoveryPoint;
  }

  /** Bytes of all segments. */
  get sizeInBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** Base offsets of the segments, oldest first (operators and tests). */
  get segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  get latestEpoch(): number {
    return this.epochCache.latestEpoch();
  }

  get epochEntries(): readonly { epoch: number; startOffset: bigint }[] {
    return this.epochCache.all;
  }

  private get activeSegment(): LogSegment {
    return this.segments.at(-1)!;
  }

  /**
   * Appends one or more batches as received (validated, offsets and epoch stamped in place, bytes
   * written unchanged otherwise). Resolves when the bytes are in the file, and, when the flush policy
   * demands it, fsynced.
   */
  async append(batches: Buffer, options: AppendOptions): Promise<AppendResult> {
    this.ensureOpen();
    const incoming = inspectAppendBatches(batches, this.config.maxMessageBytes, {
      crcVerified: options.crcVerified,
    });
    const { result, syncSeq } = await this.queue.run(() => this.appendInQueue(batches, incoming, options));
    if (syncSeq !== null) await this.groupCommit.waitDurable(syncSeq);
    return result;
  }

  private async appendInQueue(
    bytes: Buffer,
    incoming: IncomingBatch[],
    { leaderEpoch, assignOffsets = true, appendTimeMs, tailCache = 'copy' }: AppendOptions,
  ): Promise<{ result: AppendResult; syncSeq: number | null }> {
    this.ensureOpen();
    const nowMs = appendTimeMs ?? this.now();
    const firstOffset = this.logEndOffset;
    let next = firstOffset;
    let recordsCount = 0;
    for (const batch of incoming) {
      if (assignOffsets) {
        stampBaseOffset(bytes, batch.position, next);
        stampPartitionLeaderEpoch(bytes, batch.position, leaderEpoch);
        batch.baseOffset = next;
        batch.partitionLeaderEpoch = leaderEpoch;
      } else if (batch.baseOffset !== next) {
        throw new UnexpectedAppendOffsetError(next, batch.baseOffset);
      }
      next = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      recordsCount += batch.recordsCount;
    }
    const lastOffset = next - 1n;
    const stampAppendTime = assignOffsets && this.config.messageTimestampType === 'LogAppendTime';
    if (stampAppendTime) for (const batch of incoming) stampLogAppendTime(bytes, batch, nowMs);

    let incomingMaxTimestamp = -1n;
    for (const batch of incoming)
      if (batch.maxTimestamp > incomingMaxTimestamp) incomingMaxTimestamp = batch.maxTimestamp;
    if (this.shouldRoll(bytes.length, lastOffset, nowMs, incomingMaxTimestamp)) await this.roll(nowMs);
    const segment = this.activeSegment;
    const appended: AppendedBatch[] = incoming.map((b) => ({
      position: segment.size + b.position,
      size: b.size,
      baseOffset: b.baseOffset,
      lastOffset: b.baseOffset + BigInt(b.lastOffsetDelta),
      maxTimestamp: b.maxTimestamp,
    }));
    await segment.append(bytes, appended, tailCache);
    const seq = this.groupCommit.noteWrite();

    let epochsChanged = false;
    for (const batch of incoming) {
      if (this.epochCache.assign(batch.partitionLeaderEpoch, batch.baseOffset)) epochsChanged = true;
    }
    if (epochsChanged) await this.epochCache.save();

    this.unflushedMessages += recordsCount;
    let syncSeq: number | null = null;
    if (this.unflushedMessages >= this.config.flushIntervalMessages) {
      this.unflushedMessages = 0;
      syncSeq = seq;
    }
    const logAppendTimeMs = stampAppendTime ? BigInt(nowMs) : -1n;
    return { result: { baseOffset: firstOffset, lastOffset, logAppendTimeMs, recordsCount }, syncSeq };
  }

  private shouldRoll(
    appendBytes: number,
    lastOffset: bigint,
    nowMs: number,
    incomingMaxTimestamp: bigint,
  ): boolean {
    const active = this.activeSegment;
    if (active.isEmpty) return false;
    return (
      active.size + appendBytes > this.config.segmentBytes ||
      active.msWaitedForRoll(nowMs, incomingMaxTimestamp) >= this.config.segmentMs ||
      // Index entries hold offsets relative to the segment base as u32 (Kafka keeps them in int range).
      lastOffset - active.baseOffset > 0x7fffffffn
    );
  }

  /**
   * Starts a new active segment at the log end. The old one is flushed in the background (Kafka does
   * the same), after which the recovery point moves past it.
   */
  private async roll(nowMs: number): Promise<void> {
    const old = this.activeSegment;
    await old.saveIndexes({ sync: false });
    const fresh = await LogSegment.create(this.dir, this.logEndOffset, this.config.indexIntervalBytes, nowMs);
    this.segments = [...this.segments, fresh];
    this.handleCache.touch(old);
    this.logger.debug({ baseOffset: fresh.baseOffset }, 'rolled a new segment');
    this.inBackground(async () => {
      await syncDirectory(this.dir);
      await this.groupCommit.waitDurable();
      await old.syncIndexFiles();
      await this.queue.run(() => this.persistRecoveryPoint(false));
    });
  }

  /**
   * Whole batches from `fetchOffset` on, at most `maxBytes` (but the first batch whole when
   * `minOneBatch`), all below `maxOffset`. Reads one segment per call, as Kafka does; the next read
   * continues in the next segment.
   */
  async read(fetchOffset: bigint, options: ReadOptions): Promise<ReadResult> {
    const { records } = await this.slice(fetchOffset, { eagerBytes: Infinity, ...options });
    return { records: await records.bytes() };
  }

  /**
   * What `read` returns, not yet read from the file: sized from batch headers (the offset index and
   * a header scan near the cut), so a Fetch response can stream it in bounded pieces.
   */
  async slice(
    fetchOffset: bigint,
    { maxBytes, maxOffset, minOneBatch = true, eagerBytes = 0 }: ReadOptions,
  ): Promise<{ records: RecordSlice }> {
    this.ensureOpen();
    const segments = this.segments;
    const active = segments.at(-1)!;
    const start = this.startOffset;
    const end = active.nextOffset;
    if (fetchOffset < start || fetchOffset > end) throw new OffsetOutOfRangeError(fetchOffset, start, end);
    const limit = maxOffset !== undefined && maxOffset < end ? maxOffset : end;
    const empty = { records: EMPTY_SLICE };
    if (fetchOffset >= limit) return empty;

    let index = segmentIndexFor(segments, fetchOffset);
    for (; index < segments.length; index++) {
      const segment = segments[index]!;
      if (segment.baseOffset >= limit) return empty;
      // The committed end, read before any await: appends after this point are not visible.
      const committedSize = segment.size;
      const committedNext = segment.nextOffset;
      if (segment !== active) this.handleCache.touch(segment);
      // The newest batches are in memory (followers and caught-up consumers read there).
      const cached = segment.tailCache.readPieces(
        fetchOffset,
        limit < committedNext ? limit : committedNext,
        maxBytes,
        minOneBatch,
      );
      if (cached !== undefined) return { records: new MemoryRecordSlice(cached) };
      try {
        const location = await segment.locateOffset(fetchOffset, committedSize);
        if (location === null) continue;
        if (location.header.baseOffset >= limit) return empty;
        let endPosition = committedSize;
        if (limit < committedNext) {
          endPosition = (await segment.locateOffset(limit, committedSize))?.position ?? committedSize;
        }
        const available = endPosition - location.position;
        if (available <= 0) return empty;
        const budget = Math.max(maxBytes, 0);
        if (available > budget && budget <= eagerBytes) {
          // A small cut read: the bytes up to the budget, cut after the last whole batch.
          const chunk = await segment.read(location.position, budget);
          const cut = wholeBatchBytes(chunk);
          if (cut > 0) return { records: new MemoryRecordSlice([chunk.subarray(0, cut)]) };
        }
        const whole =
          available <= budget
            ? available
            : (await segment.wholeBatchesEnd(location.position, location.position + budget, endPosition)) -
              location.position;
        if (whole > 0) return { records: new FileRecordSlice(segment, location.position, whole) };
        if (!minOneBatch) return empty;
        return {
          records: new FileRecordSlice(segment, location.position, Math.min(location.size, available)),
        };
      } catch (error) {
        // A segment deleted by retention or truncation under this read.
        if (fetchOffset < this.startOffset) {
          throw new OffsetOutOfRangeError(fetchOffset, this.startOffset, this.logEndOffset);
        }
        throw error;
      }
    }
    return empty;
  }

  /**
   * ListOffsets by time: the first record with timestamp >= `timestamp`, or null when there is none.
   * EARLIEST_TIMESTAMP (-2) and LATEST_TIMESTAMP (-1) answer the log start and end. Only the batch
   * that holds the answer is decoded.
   */
  async offsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    this.ensureOpen();
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.startOffset, timestamp: -1n };
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.logEndOffset, timestamp: -1n };
    if (timestamp < 0n) return null;
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const location = await segment.locateTimestamp(timestamp);
      if (location === null) continue;
      const bytes = await segment.read(location.position, location.size);
      // Bounded: a compression bomb stored before produce validation existed must not exhaust memory.
      const { records } = await decodeRecordBatch(bytes, 0, {
        skipCrcCheck: true,
        maxOutputBytes: maxDecompressedBytes(this.config),
      });
      const record = records.find((r) => r.timestamp >= timestamp);
      const found = record ?? { offset: location.header.baseOffset, timestamp: location.header.maxTimestamp };
      if (found.offset + 1n <= this.startOffset) continue;
      const offset = found.offset < this.startOffset ? this.startOffset : found.offset;
      return { offset, timestamp: found.timestamp };
    }
    return null;
  }

  /**
   * The points ListOffsets v0 chooses from, oldest first: each segment's base offset (at least the log
   * start) with its file's modification time, then the log end with `nowMs` when the active segment
   * holds data (Kafka's legacy offsets-before-time).
   */
  async segmentOffsetTimes(nowMs: number = this.now()): Promise<SegmentOffsetTime[]> {
    this.ensureOpen();
    const segments = this.segments;
    const points: SegmentOffsetTime[] = [];
    for (const segment of segments) {
      const offset = segment.baseOffset < this.startOffset ? this.startOffset : segment.baseOffset;
      points.push({ offset, timeMs: await segment.lastModifiedMs() });
    }
    if (!segments.at(-1)!.isEmpty) points.push({ offset: this.logEndOffset, timeMs: nowMs });
    return points;
  }

  /**
   * A new leader records that its epoch starts at the current log end before appending anything, so
   * OffsetForLeaderEpoch answers followers of an older epoch correctly from the first moment.
   */
  assignEpochStartOffset(epoch: number): Promise<void> {
    return this.queue.run(async () => {
      this.ensureOpen();
      if (this.epochCache.assign(epoch, this.logEndOffset)) await this.epochCache.save();
    });
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` and where it ends in this log. */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(epoch, this.logEndOffset);
  }

  /**
   * Follower truncation: removes every batch at or after the one holding `offset`. Returns the new
   * log end (equal to `offset` when it is a batch boundary). Below the log start the log is emptied and
   * restarts at `offset`.
   */
  truncateTo(offset: bigint): Promise<bigint> {
    return this.queue.run(async () => {
      this.ensureOpen();
      if (offset >= this.logEndOffset) return this.logEndOffset;
      if (offset < this.startOffset) {
        await this.restartAt(offset);
        return offset;
      }
      const keep = this.segments.filter((s, i) => i === 0 || s.baseOffset <= offset);
      const drop = this.segments.filter((s) => !keep.includes(s));
      const last = keep.at(-1)!;
      this.segments = keep;
      this.handleCache.forget(last);
      await Promise.all(drop.map((s) => this.deleteSegment(s)));
      const newEnd = await last.truncateTo(offset);
      if (newEnd < this.startOffset) {
        // The cut fell inside the batch holding the log start: the log now starts where it ends.
        this.startOffset = newEnd;
        await writeFileAtomically(join(this.dir, LOG_START_OFFSET_FILE), formatOffsetCheckpoint(newEnd));
      }
      if (this.epochCache.truncateFromEnd(newEnd)) await this.epochCache.save();
      if (this.recoveryPoint > newEnd) this.recoveryPoint = newEnd;
      await this.persistRecoveryPoint(true);
      this.logger.info({ offset, logEndOffset: newEnd }, 'truncated log');
      return newEnd;
    });
  }

  /** Empties the log and restarts it at `offset` (a follower far behind a leader's log start). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.queue.run(async () => {
      this.ensureOpen();
      await this.restartAt(offset);
    });
  }

  private async restartAt(offset: bigint): Promise<void> {
    const old = this.segments;
    const fresh = await LogSegment.create(this.dir, offset, this.config.indexIntervalBytes, this.now());
    this.segments = [fresh];
    await Promise.all(old.filter((s) => s.baseOffset !== offset).map((s) => this.deleteSegment(s)));
    this.startOffset = offset;
    this.recoveryPoint = offset;
    if (this.epochCache.clear()) await this.epochCache.save();
    await writeFileAtomically(join(this.dir, LOG_START_OFFSET_FILE), formatOffsetCheckpoint(offset));
    await this.persistRecoveryPoint(true);
  }

  /**
   * DeleteRecords: moves the log start to `offset` (at most the log end) and deletes closed segments
   * wholly below it. Returns the new log start.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.queue.run(async () => {
      this.ensureOpen();
      if (offset > this.logEndOffset || offset < 0n) {
        throw new OffsetOutOfRangeError(offset, this.startOffset, this.logEndOffset);
      }
      if (offset <= this.startOffset) return this.startOffset;
      const doomed = this.segments.slice(0, -1).filter((_, i) => this.segments[i + 1]!.baseOffset <= offset);
      await this.advanceStart(offset, doomed);
      return this.startOffset;
    });
  }

  /**
   * Retention: deletes the oldest closed segments whose newest timestamp is older than retention.ms,
   * and while the log is larger than retention.bytes. Never the active segment.
   */
  applyRetention(nowMs: number = this.now()): Promise<RetentionResult> {
    return this.queue.run(async () => {
      this.ensureOpen();
      const closed = this.segments.slice(0, -1);
      let count = 0;
      if (this.config.retentionMs >= 0) {
        for (const segment of closed) {
          if (nowMs - (await segment.largestTimestampMs()) <= this.config.retentionMs) break;
          count++;
        }
      }
      if (this.config.retentionBytes >= 0) {
        let excess = this.sizeInBytes - this.config.retentionBytes;
        let bySize = 0;
        for (const segment of closed) {
          if (excess - segment.size < 0) break;
          excess -= segment.size;
          bySize++;
        }
        count = Math.max(count, bySize);
      }
      if (count === 0) return { deletedSegments: 0, logStartOffset: this.startOffset };
      const doomed = closed.slice(0, count);
      const newStart = this.segments[count]!.baseOffset;
      await this.advanceStart(newStart > this.startOffset ? newStart : this.startOffset, doomed);
      this.logger.info(
        { deletedSegments: count, logStartOffset: this.startOffset },
        'retention deleted segments',
      );
      return { deletedSegments: count, logStartOffset: this.startOffset };
    });
  }

  private async advanceStart(offset: bigint, doomed: LogSegment[]): Promise<void> {
    this.startOffset = offset;
    await writeFileAtomically(join(this.dir, LOG_START_OFFSET_FILE), formatOffsetCheckpoint(offset));
    this.segments = this.segments.filter((s) => !doomed.includes(s));
    await Promise.all(doomed.map((s) => this.deleteSegment(s)));
    if (this.epochCache.truncateFromStart(offset)) await this.epochCache.save();
  }

  /** fsyncs everything appended so far. */
  async flush(): Promise<void> {
    this.ensureOpen();
    await this.queue.idle();
    this.unflushedMessages = 0;
    await this.groupCommit.waitDurable();
  }

  /** Flushes, saves indexes and the recovery point, and leaves the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(async () => {
      this.closed = true;
    });
    this.stopTimer();
    await Promise.allSettled([...this.background]);
    await this.groupCommit.waitDurable();
    for (const segment of this.segments) {
      if (segment.offsetIndex.isDirty || segment.timeIndex.isDirty || segment === this.activeSegment) {
        await segment.saveIndexes({ sync: true });
      }
    }
    await this.persistRecoveryPoint(true);
    await writeFileAtomically(join(this.dir, CLEAN_SHUTDOWN_FILE), '');
    await this.closeSegments();
    this.logger.debug({ logEndOffset: this.logEndOffset }, 'partition log closed');
  }

  /**
   * Drops the log without a clean shutdown: no flush, no index save, no marker; the next open
   * recovers. What a storage error (or a crash) leaves behind; tests use it to simulate one.
   */
  async abandon(): Promise<void> {
    await this.stopWithoutFlush();
  }

  /** Closes and removes the partition directory (topic deletion, replica reassignment). */
  async delete(): Promise<void> {
    await this.stopWithoutFlush();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Stops appends (after those queued), the timer and background work; closes the segment files. */
  private async stopWithoutFlush(): Promise<void> {
    if (!this.closed) {
      await this.queue.run(async () => {
        this.closed = true;
      });
    }
    this.stopTimer();
    await Promise.allSettled([...this.background]);
    await this.closeSegments();
  }

  private async closeSegments(): Promise<void> {
    for (const segment of this.segments) {
      this.handleCache.forget(segment);
      await segment.close();
    }
  }

  private async deleteSegment(segment: LogSegment): Promise<void> {
    this.handleCache.forget(segment);
    await segment.deleteFiles();
  }

  // The group-commit sync: every segment written since the last sync, log file first.
  private async syncDirtySegments(): Promise<void> {
    const point = this.logEndOffset;
    const dirty = this.segments.filter((s) => s.dirty);
    for (const segment of dirty) segment.dirty = false;
    try {
      await Promise.all(dirty.map((s) => s.sync()));
    } catch (error) {
      for (const segment of dirty) segment.dirty = true;
      this.logger.error({ err: error }, 'fsync failed');
      throw error;
    }
    if (point > this.recoveryPoint) this.recoveryPoint = point;
  }

  /**
   * Writes the recovery point when it has moved into another segment (or when forced): recovery after
   * a crash re-scans from the segment holding it, so finer updates would buy nothing.
   */
  private async persistRecoveryPoint(force: boolean): Promise<void> {
    const point = this.recoveryPoint;
    const holding = this.segments[segmentIndexFor(this.segments, point)]!.baseOffset;
    if (!force && holding === this.persistedRecoverySegment) return;
    await writeFileAtomically(join(this.dir, RECOVERY_POINT_FILE), formatOffsetCheckpoint(point));
    this.persistedRecoverySegment = holding;
  }

  private flushOnTimer(): void {
    if (this.closed || !this.groupCommit.hasUnsyncedWrites) return;
    this.unflushedMessages = 0;
    this.inBackground(() => this.groupCommit.waitDurable());
  }

  private inBackground(task: () => Promise<void>): void {
    const running = task()
      .catch((error: unknown) => this.logger.error({ err: error }, 'background log flush failed'))
      .finally(() => this.background.delete(running));
    this.background.add(running);
  }

  private stopTimer(): void {
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogClosedError(this.dir);
  }
}

/**
 * LogAppendTime: sets the timestamp-type bit and maxTimestamp (both inside the CRC's coverage, unlike
 * the offset and epoch), then recomputes the CRC. Records keep their deltas; consumers read the
 * batch's maxTimestamp as every record's timestamp.
 */
function stampLogAppendTime(bytes: Buffer, batch: IncomingBatch, nowMs: number): void {
  const at = batch.position;
  const attributes = bytes.readInt16BE(at + RecordBatchField.attributes);
  const appendTime = makeAttributes({ timestampType: TimestampType.LogAppendTime });
  bytes.writeInt16BE(attributes | appendTime, at + RecordBatchField.attributes);
  bytes.writeBigInt64BE(BigInt(nowMs), at + RecordBatchField.maxTimestamp);
  bytes.writeUInt32BE(computeRecordBatchCrc(bytes, at), at + RecordBatchField.crc);
  batch.maxTimestamp = BigInt(nowMs);
}

/** Index of the last segment whose base offset is <= `offset` (0 when `offset` precedes them all). */
function segmentIndexFor(segments: readonly LogSegment[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Bytes of the whole batches at the start of `chunk` (a read cut at maxBytes ends mid-batch). */
function wholeBatchBytes(chunk: Buffer): number {
  let position = 0;
  for (;;) {
    const size = recordBatchSizeAt(chunk, position);
    if (size === null || position + size > chunk.length) return position;
    position += size;
  }
}
