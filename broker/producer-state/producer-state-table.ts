import { ErrorCode } from '../../protocol/errors.js';

/**
 * Idempotent-producer bookkeeping for one partition (Kafka's ProducerStateManager, without
 * transactions): per producer id, its epoch and the sequence/offset ranges of its last 5 batches.
 * `check` decides, from a batch header alone, whether to append it, answer it as a duplicate (with the
 * offsets it was first written at), or reject it: OUT_OF_ORDER_SEQUENCE_NUMBER (45) on a gap,
 * INVALID_PRODUCER_EPOCH (47) for a fenced (older) epoch.
 */

/** How many recent batches per producer are remembered (the client's in-flight limit matches). */
export const PRODUCER_BATCHES_KEPT = 5;
const SEQUENCE_SPACE = 0x80000000; // sequences wrap from 2^31 - 1 to 0

export interface BatchRange {
  firstSequence: number;
  lastSequence: number;
  firstOffset: bigint;
  lastOffset: bigint;
}

export interface ProducerEntry {
  producerId: bigint;
  producerEpoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_KEPT. */
  batches: BatchRange[];
}

/** The header fields the check needs (a header view; records are never decoded). */
export interface IdempotentBatchHeader {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: bigint; lastOffset: bigint }
  | { kind: 'reject'; errorCode: number; message: string };

export function lastSequenceOf(header: IdempotentBatchHeader): number {
  return (header.baseSequence + header.lastOffsetDelta) % SEQUENCE_SPACE;
}

export class ProducerStateTable {
  readonly entries = new Map<bigint, ProducerEntry>();

  check(header: IdempotentBatchHeader): SequenceCheck {
    const entry = this.entries.get(header.producerId);
    const firstSequence = header.baseSequence;
    const lastSequence = lastSequenceOf(header);
    const outOfOrder = (expected: number): SequenceCheck => ({
      kind: 'reject',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      message: `producer ${header.producerId}: sequence ${firstSequence}, expected ${expected}`,
    });
    if (firstSequence < 0) {
      return { kind: 'reject', errorCode: ErrorCode.INVALID_RECORD, message: 'negative base sequence' };
    }
    if (!entry || header.producerEpoch > entry.producerEpoch) {
      // A new producer, or a new epoch of one: numbering starts again at 0.
      return firstSequence === 0 ? { kind: 'append' } : outOfOrder(0);
    }
    if (header.producerEpoch < entry.producerEpoch) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${header.producerId}: epoch ${header.producerEpoch} is fenced by epoch ${entry.producerEpoch}`,
      };
    }
    const duplicate = entry.batches.find(
      (b) => b.firstSequence === firstSequence && b.lastSequence === lastSequence,
    );
    if (duplicate)
      return { kind: 'duplicate', firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last ? (last.lastSequence + 1) % SEQUENCE_SPACE : 0;
    return firstSequence === expected ? { kind: 'append' } : outOfOrder(expected);
  }

  /** Remembers an appended batch (also used to replay the log on recovery, where it must not throw). */
  record(header: IdempotentBatchHeader, firstOffset: bigint, lastOffset: bigint): void {
    let entry = this.entries.get(header.producerId);
    if (!entry || header.producerEpoch !== entry.producerEpoch) {
      if (entry && header.producerEpoch < entry.producerEpoch) return;
      entry = { producerId: header.producerId, producerEpoch: header.producerEpoch, batches: [] };
      this.entries.set(header.producerId, entry);
    }
    entry.batches.push({
      firstSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header),
      firstOffset,
      lastOffset,
    });
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift();
  }

  clear(): void {
    this.entries.clear();
  }
}
