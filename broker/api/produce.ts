// Produce (key 0), versions 3-9: each partition's batches are appended as received, offsets stamped
// (ReplicaManager.appendRecords: broker/replica/append-records.ts has the checks and error codes).
// acks 0 (no response), 1 (after the local append), -1 (after the ISR has it). Between the appends and
// the acks=all waits the connection may let the next Produce append (produce pipelining), so appends
// stay in order. Zstd needs v7+.
// Idempotent producers: duplicates of a producer's last 5 batches get their original offsets, gaps 45,
// fenced epochs 47 (broker/producer-state). Records are validated on the leader (87/32 with record_errors
// from v8); transactional and control batches are refused. Not implemented: transactions.
import type { ProduceResponse } from '../../protocol/index.js';
import { produceApi } from '../../protocol/messages/produce.js';
import type { PartitionAppendResult } from '../replica/append-records.js';
import { defineApiHandler } from './api-handler.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

export const produceHandler = defineApiHandler(produceApi, {
  async handle(body, context, broker) {
    const zstdAllowed = context.header.apiVersion >= 7;
    const appended = await Promise.all(
      body.topicData.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitionData.map(async (p) => ({
            index: p.index,
            pending: await broker.replicas.appendRecords({
              topicPartition: { topic: topic.name, partition: p.index },
              records: p.records,
              requiredAcks: body.acks,
              timeoutMs: body.timeoutMs,
              zstdAllowed,
            }),
          })),
        ),
      })),
    );
    context.appended?.();
    const responses = await Promise.all(
      appended.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitions.map(async (p) => partitionResponse(p.index, await p.pending.acknowledged())),
        ),
      })),
    );
    if (body.acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
});

function partitionResponse(index: number, result: PartitionAppendResult): PartitionResponse {
  return { index, ...result };
}
