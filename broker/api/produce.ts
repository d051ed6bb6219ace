// Produce (key 0), versions 3-9: validates each partition's batches (CRC-32C, sizes) and appends the
// bytes as received, offsets stamped. acks 0 (no response), 1 (after the local append), -1 (after the
// ISR has it: Partition.waitForIsr, i.e. the high watermark passed the batch; immediate with ISR = [self]).
// Errors: 2 CORRUPT_MESSAGE, 10 MESSAGE_TOO_LARGE, 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER,
// 5 LEADER_NOT_AVAILABLE, 76 UNSUPPORTED_COMPRESSION_TYPE (zstd below v7), 21 INVALID_REQUIRED_ACKS,
// 19 NOT_ENOUGH_REPLICAS (ISR below min.insync.replicas with acks=-1, before appending),
// 20 NOT_ENOUGH_REPLICAS_AFTER_APPEND (the ISR shrank below it while waiting), 7 REQUEST_TIMED_OUT
// (the ISR did not catch up within timeout_ms), 6 when leadership moved while waiting.
// Idempotent producers: duplicates of a producer's last 5 batches get their original offsets, gaps 45,
// fenced epochs 47 (broker/producer-state). Not implemented: transactions, LogAppendTime stamping, record errors.
import { ErrorCode } from '../../protocol/errors.js';
import type { ProduceResponse } from '../../protocol/index.js';
import { produceApi } from '../../protocol/messages/produce.js';
import {
  CompressionCodec,
  compressionOf,
  recordBatchesIn,
  CorruptRecordBatchError,
} from '../../protocol/record-batch-header.js';
import type { BrokerServices } from '../broker-services.js';
import { LogError } from '../log/log-errors.js';
import { signalAppended } from '../network/produce-pipelining.js';
import { appendAsLeaderIdempotent } from '../producer-state/idempotent-append.js';
import { defineApiHandler } from './api-handler.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

export const produceHandler = defineApiHandler(produceApi, {
  async handle(body, context, broker) {
    const version = context.header.apiVersion;
    const acks = body.acks;
    // Two phases: every partition appends, then (acks=all) waits for its ISR. Between them the
    // connection may let the next Produce append (produce-pipelining.ts), so appends stay in order.
    const appended = await Promise.all(
      body.topicData.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitionData.map((p) =>
            appendPartition(broker, topic.name, p.index, p.records, acks, body.timeoutMs, version),
          ),
        ),
      })),
    );
    signalAppended(context);
    const responses = await Promise.all(
      appended.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitions.map((p) => (typeof p === 'function' ? p() : p)),
        ),
      })),
    );
    if (acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
});

/** A partition's answer, or (acks=all, appended) the wait for its ISR that yields the answer. */
type AppendOutcome = PartitionResponse | (() => Promise<PartitionResponse>);

async function appendPartition(
  broker: BrokerServices,
  topic: string,
  index: number,
  records: Buffer | null,
  acks: number,
  timeoutMs: number,
  version: number,
): Promise<AppendOutcome> {
  const fail = (errorCode: number, errorMessage: string | null = null): PartitionResponse => ({
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  });
  if (acks !== 0 && acks !== 1 && acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS);
  const partition = broker.replicas.get({ topic, partition: index });
  if (!partition) {
    const known = broker.metadata.topics.get(topic);
    if (!known || index < 0 || index >= known.assignment.length)
      return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const state = known.states[index];
    return fail(
      state && state.leader >= 0 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.LEADER_NOT_AVAILABLE,
    );
  }
  if (!partition.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (records === null || records.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE, 'no record batch');
  if (version < 7 && hasZstd(records)) {
    return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
  }
  const minInsync = minInsyncReplicas(broker, topic);
  if (acks === -1 && partition.state.isr.length < minInsync) {
    return fail(
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `ISR has ${partition.state.isr.length} replica(s), min.insync.replicas is ${minInsync}`,
    );
  }
  try {
    const term = partition.leaderTerm;
    const outcome = await appendAsLeaderIdempotent(partition, records);
    if (outcome.kind === 'reject') return fail(outcome.errorCode, outcome.message);
    const { result } = outcome;
    const success = (): PartitionResponse => ({
      index,
      errorCode: 0,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTimeMs,
      logStartOffset: partition.log.logStartOffset,
      recordErrors: [],
      errorMessage: null,
    });
    if (acks !== -1) return success();
    return async () => {
      const committed = await partition.waitForIsr(result.lastOffset, timeoutMs);
      if (!committed || partition.leaderTerm !== term) {
        // Leadership moved while waiting: the client re-routes and retries.
        return fail(partition.isLeader ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NOT_LEADER_OR_FOLLOWER);
      }
      // Committed, but by fewer replicas than asked for (the ISR shrank meanwhile).
      if (partition.state.isr.length < minInsync) return fail(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
      return success();
    };
  } catch (error) {
    if (error instanceof CorruptRecordBatchError || error instanceof LogError) {
      broker.logger.info({ topic, partition: index, err: error.message }, 'produce rejected');
      return fail(error.code, error.message);
    }
    broker.logger.error({ err: error, topic, partition: index }, 'produce failed');
    return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

/** The topic's min.insync.replicas override, else the broker's. */
function minInsyncReplicas(broker: BrokerServices, topic: string): number {
  const override = Number(broker.metadata.topics.get(topic)?.config['min.insync.replicas']);
  return Number.isInteger(override) && override >= 1 ? override : broker.config.minInsyncReplicas;
}

/** True when any complete batch in `records` is zstd-compressed (header only, no decoding). */
export function hasZstd(records: Buffer): boolean {
  try {
    for (const { header } of recordBatchesIn(records)) {
      if (compressionOf(header.attributes) === CompressionCodec.Zstd) return true;
    }
  } catch {
    // An unreadable header is the append's problem: it answers CORRUPT_MESSAGE.
  }
  return false;
}
