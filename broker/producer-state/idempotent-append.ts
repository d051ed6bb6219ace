import { ErrorCode } from '../../protocol/errors.js';
import {
  readRecordBatchHeader,
  recordBatchesIn,
  RECORD_BATCH_HEADER_SIZE,
} from '../../protocol/record-batch-header.js';
import type { AppendResult, PartitionLog } from '../log/partition-log.js';
import type { ProducerStates } from './producer-states.js';

/** What the produce path needs of a leader partition. */
export interface LeaderAppendTarget {
  readonly log: PartitionLog;
  appendAsLeader(records: Buffer, options?: LeaderAppendOptions): Promise<AppendResult>;
}

/** `crcVerified`: the produce path checked every batch's CRC already (see PartitionLog's AppendOptions). */
export interface LeaderAppendOptions {
  crcVerified?: boolean;
}

/** Appended, or recognised as a resend (its original offsets, nothing written); or refused. */
export type LeaderAppendOutcome =
  | { kind: 'appended' | 'duplicate'; result: AppendResult }
  | { kind: 'reject'; errorCode: number; message: string };

/**
 * The leader append with idempotent-producer checks: batches without a producer id go straight to the
 * log; a batch with one is checked against the partition's producer state first (duplicate ⇒ the
 * original offsets, gap ⇒ 45, fenced epoch ⇒ 47). Header view only: the records are not decoded.
 */
export async function appendAsLeaderIdempotent(
  partition: LeaderAppendTarget,
  records: Buffer,
  producerStates: ProducerStates,
  options: LeaderAppendOptions = {},
): Promise<LeaderAppendOutcome> {
  if (records.length < RECORD_BATCH_HEADER_SIZE)
    return { kind: 'appended', result: await partition.appendAsLeader(records, options) };
  const first = readRecordBatchHeader(records, 0);
  if (first.producerId < 0n)
    return { kind: 'appended', result: await partition.appendAsLeader(records, options) };
  let batches = 0;
  try {
    for (const _ of recordBatchesIn(records)) batches++;
  } catch {
    // A malformed tail is the log's to reject (CORRUPT_MESSAGE).
  }
  if (batches > 1) {
    return {
      kind: 'reject',
      errorCode: ErrorCode.INVALID_RECORD,
      message: 'an idempotent produce carries exactly one record batch per partition',
    };
  }
  const outcome = await producerStates
    .of(partition.log)
    .appendIdempotent(first, () => partition.appendAsLeader(records, options));
  if (outcome.kind !== 'duplicate') return outcome;
  const { firstOffset, lastOffset } = outcome;
  return {
    kind: 'duplicate',
    result: {
      baseOffset: firstOffset,
      lastOffset,
      logAppendTimeMs: -1n,
      recordsCount: Number(lastOffset - firstOffset) + 1,
    },
  };
}
