import { componentLogger } from '../../log/logger.js';
import { recordBatchesIn } from '../../protocol/record-batch-header.js';
import type { AppendResult, PartitionLog } from '../log/partition-log.js';
import { readProducerStateSnapshot, writeProducerStateSnapshot } from './producer-state-snapshot.js';
import {
  ProducerStateTable,
  type IdempotentBatchHeader,
  type SequenceCheck,
} from './producer-state-table.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';

const log = componentLogger('producer-state');

/** How long after an idempotent append the snapshot is rewritten (coalescing bursts of appends). */
const SNAPSHOT_DELAY_MS = 1_000;
const REPLAY_READ_BYTES = 4 * 1024 * 1024;

/** The part of a partition log the producer state reads: its directory, bounds and batches. */
export type ProducerStateLog = Pick<PartitionLog, 'dir' | 'logStartOffset' | 'logEndOffset' | 'read'>;

export type IdempotentAppendOutcome =
  { kind: 'appended'; result: AppendResult } | Exclude<SequenceCheck, { kind: 'append' }>;

/**
 * The producer state of one partition replica, kept beside its log. It is built lazily, on the first
 * idempotent produce after this broker leads the partition: from the snapshot file, then by replaying
 * batch headers (never records) from the snapshot's offset to the log end — so it is right after a
 * restart, after follower appends, and after truncation (a snapshot beyond the log end is dropped).
 * Idempotent appends to one partition run one at a time: check, append, remember.
 */
export class PartitionProducerState {
  private readonly table = new ProducerStateTable();
  /** Every batch below this offset is reflected in the table; -1 until first loaded. */
  private nextOffset = -1n;
  private readonly queue = new SerialQueue();
  private snapshotTimer: NodeJS.Timeout | undefined;

  /** One per replica log; the broker's ProducerStates hands them out (producer-states.ts). */
  constructor(private readonly partitionLog: ProducerStateLog) {}

  /** Checks the batch's sequence and, if it is the next one, runs `append` and remembers the batch. */
  appendIdempotent(
    header: IdempotentBatchHeader,
    append: () => Promise<AppendResult>,
  ): Promise<IdempotentAppendOutcome> {
    return this.queue.run(async (): Promise<IdempotentAppendOutcome> => {
      await this.catchUp();
      const check = this.table.check(header);
      if (check.kind !== 'append') return check;
      const result = await append();
      this.table.record(header, result.baseOffset, result.lastOffset);
      // Only non-idempotent batches can have been appended since catchUp: nothing to reflect there.
      this.nextOffset = result.lastOffset + 1n;
      this.scheduleSnapshot();
      return { kind: 'appended', result };
    });
  }

  /** Writes the snapshot now (shutdown, tests); a state never loaded has nothing to write. */
  async snapshot(): Promise<void> {
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    await this.queue.run(() => this.writeSnapshot());
  }

  /** Drops a pending snapshot without writing it (the log is being deleted). */
  discard(): void {
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
  }

  private async catchUp(): Promise<void> {
    const { logStartOffset, logEndOffset } = this.partitionLog;
    if (this.nextOffset < 0n || this.nextOffset > logEndOffset) await this.load();
    if (this.nextOffset < logStartOffset) this.nextOffset = logStartOffset;
    while (this.nextOffset < this.partitionLog.logEndOffset) {
      const { records } = await this.partitionLog.read(this.nextOffset, {
        maxBytes: REPLAY_READ_BYTES,
        minOneBatch: true,
      });
      if (records.length === 0) break;
      for (const { header } of recordBatchesIn(records)) {
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        if (lastOffset < this.nextOffset) continue;
        if (header.producerId >= 0n) this.table.record(header, header.baseOffset, lastOffset);
        this.nextOffset = lastOffset + 1n;
      }
    }
  }

  private async load(): Promise<void> {
    this.table.clear();
    const snapshot = await readProducerStateSnapshot(this.partitionLog.dir);
    const { logStartOffset, logEndOffset } = this.partitionLog;
    if (snapshot && snapshot.nextOffset <= logEndOffset && snapshot.nextOffset >= logStartOffset) {
      for (const entry of snapshot.entries) this.table.entries.set(entry.producerId, entry);
      this.nextOffset = snapshot.nextOffset;
    } else {
      this.nextOffset = logStartOffset;
    }
    log.debug(
      { dir: this.partitionLog.dir, from: String(this.nextOffset), snapshot: snapshot !== null },
      'producer state loaded',
    );
  }

  private scheduleSnapshot(): void {
    if (this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      void this.snapshot().catch((error: unknown) =>
        log.warn(
          { dir: this.partitionLog.dir, err: (error as Error).message },
          'producer state snapshot failed',
        ),
      );
    }, SNAPSHOT_DELAY_MS);
    this.snapshotTimer.unref();
  }

  private async writeSnapshot(): Promise<void> {
    if (this.nextOffset < 0n) return;
    await writeProducerStateSnapshot(this.partitionLog.dir, {
      nextOffset: this.nextOffset,
      entries: [...this.table.entries.values()],
    });
  }
}
