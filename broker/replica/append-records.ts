import type { TopicPartition } from '../../protocol/topic-partition.js';
import type { Logger } from '../../log/logger.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CorruptRecordBatchError } from '../../protocol/record-batch-header.js';
import { InvalidRecordsError } from '../../protocol/record-batch-validation.js';
import type { TopicCompressionType } from '../config.js';
import { asStorageError, LogError } from '../log/log-errors.js';
import { batchesToStore } from '../log/topic-recompression.js';
import { appendAsLeaderIdempotent } from '../producer-state/idempotent-append.js';
import type { ProducerStates } from '../producer-state/producer-states.js';
import type { LeaderReplica } from './leader-replica.js';
import { maxDecompressedBytes } from '../log/log-config.js';
import { validateProducedRecords } from './produce-validation.js';
import { hasZstdBatch } from './zstd-batches.js';

/** One partition's records to append as leader (one Produce partition entry). */
export interface AppendRecordsOptions {
  topicPartition: TopicPartition;
  /** Record batches as received; the log keeps the buffer (not to be reused by the caller). */
  records: Buffer | null;
  /** 0 (no answer), 1 (after the local append) or -1 (after the ISR has it). */
  requiredAcks: number;
  /** acks=-1: how long to wait for the ISR. */
  timeoutMs: number;
  /** False for Produce below v7: zstd batches are refused with 76. */
  zstdAllowed: boolean;
}

/** Produce v8+ record_errors: which record of the batch was refused, and why. */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

/** What a Produce partition response carries. Offsets are -1 unless `errorCode` is 0. */
export interface PartitionAppendResult {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: RecordError[];
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

/**
 * An append that has reached the local log, or was refused. `acknowledged` yields the answer once the
 * acks asked for are satisfied: at once for acks 0/1 and refusals, after the ISR wait for acks=-1.
 */
export interface PendingAppend {
  acknowledged(): Promise<PartitionAppendResult>;
}

/** What the append path uses of the replica manager. */
export interface AppendSources {
  /** The leader lookup, with Produce's LEADER_NOT_AVAILABLE while none is elected. */
  leaderForAppend(tp: TopicPartition): LeaderReplica;
  /** The topic's min.insync.replicas (its override, else the broker's). */
  minInsyncReplicas(topic: string): number;
  /** The topic's compression.type: batches in another codec are recompressed to it (`producer`: kept). */
  compressionType(topic: string): TopicCompressionType;
  producerStates: ProducerStates;
  logger: Logger;
  /** The clock record timestamps are checked against (message.timestamp.difference.max.ms). */
  now?: () => number;
}

/**
 * The leader append path (Kafka's ReplicaManager.appendRecords for one partition): required-acks and
 * leadership checks, zstd by version, min.insync.replicas before appending (acks=-1), recompression to
 * the topic's compression.type, the record validation of produce-validation.ts (2, 87, 48, 32 with the
 * record's index in record_errors), the idempotent
 * append (duplicates get their original offsets, gaps 45, fenced epochs 47), then for acks=-1 the wait
 * until the high watermark passes the batch (7 at the timeout, 6 when leadership moved meanwhile, 20
 * when the ISR shrank below min.insync.replicas). Errors: 21 INVALID_REQUIRED_ACKS, 3, 5, 6, 2
 * CORRUPT_MESSAGE, 10 MESSAGE_TOO_LARGE, 76 UNSUPPORTED_COMPRESSION_TYPE, 19 NOT_ENOUGH_REPLICAS.
 */
export async function appendRecords(
  sources: AppendSources,
  options: AppendRecordsOptions,
): Promise<PendingAppend> {
  const { topicPartition: tp, records, requiredAcks } = options;
  const refuse = refusedAppend;
  if (requiredAcks !== 0 && requiredAcks !== 1 && requiredAcks !== -1) {
    return refuse(ErrorCode.INVALID_REQUIRED_ACKS);
  }
  const led = sources.leaderForAppend(tp);
  if ('errorCode' in led) return refuse(led.errorCode);
  const { partition } = led;
  if (records === null || records.length === 0) return refuse(ErrorCode.CORRUPT_MESSAGE, 'no record batch');
  if (!options.zstdAllowed && hasZstdBatch(records)) {
    return refuse(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
  }
  const minInsync = sources.minInsyncReplicas(tp.topic);
  if (requiredAcks === -1 && partition.state.isr.length < minInsync) {
    return refuse(
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `ISR has ${partition.state.isr.length} replica(s), min.insync.replicas is ${minInsync}`,
    );
  }
  try {
    const term = partition.leaderTerm;
    const config = partition.log.config;
    validateProducedRecords(records, config, (sources.now ?? Date.now)());
    const stored = await batchesToStore(records, sources.compressionType(tp.topic), {
      maxOutputBytes: maxDecompressedBytes(config),
    });
    // validateProducedRecords checked every CRC; recompressed batches carry fresh ones.
    const outcome = await appendAsLeaderIdempotent(partition, stored, sources.producerStates, {
      crcVerified: true,
    });
    if (outcome.kind === 'reject') return refuse(outcome.errorCode, outcome.message);
    const { result } = outcome;
    const success = (): PartitionAppendResult => ({
      errorCode: 0,
      errorMessage: null,
      recordErrors: [],
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTimeMs,
      logStartOffset: partition.log.logStartOffset,
    });
    if (requiredAcks !== -1) return settled(success());
    return {
      async acknowledged() {
        const committed = await partition.waitForIsr(result.lastOffset, options.timeoutMs);
        if (!committed || partition.leaderTerm !== term) {
          // Leadership moved while waiting: the client re-routes and retries.
          return failure(partition.isLeader ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NOT_LEADER_OR_FOLLOWER);
        }
        // Committed, but by fewer replicas than asked for (the ISR shrank meanwhile).
        if (partition.state.isr.length < minInsync) {
          return failure(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
        }
        return success();
      },
    };
  } catch (error) {
    if (error instanceof InvalidRecordsError) {
      sources.logger.info({ ...tp, err: error.message }, 'produce rejected');
      const recordErrors =
        error.recordIndex === null
          ? []
          : [{ batchIndex: error.recordIndex, batchIndexErrorMessage: error.message }];
      return settled({ ...failure(error.code, error.message), recordErrors });
    }
    if (error instanceof CorruptRecordBatchError || error instanceof LogError) {
      sources.logger.info({ ...tp, err: error.message }, 'produce rejected');
      return refuse(error.code, error.message);
    }
    const storage = asStorageError(error);
    if (storage !== undefined) {
      sources.logger.warn({ ...tp, err: storage.systemError.message }, 'produce refused: storage error');
      return refuse(storage.code, storage.message);
    }
    sources.logger.error({ err: error, ...tp }, 'produce failed');
    return refuse(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

/** A whole-partition refusal (record_errors empty), answered at once. */
export function refusedAppend(errorCode: number, errorMessage: string | null = null): PendingAppend {
  return settled(failure(errorCode, errorMessage));
}

function failure(errorCode: number, errorMessage: string | null = null): PartitionAppendResult {
  return {
    errorCode,
    errorMessage,
    recordErrors: [],
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
  };
}

function settled(result: PartitionAppendResult): PendingAppend {
  return { acknowledged: () => Promise.resolve(result) };
}
