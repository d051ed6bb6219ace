// Produce (key 0), versions 0-9: each partition's batches are appended as received, offsets stamped
// (ReplicaManager.appendRecords: broker/replica/append-records.ts has the checks and error codes).
// v0-2 carry legacy message sets (magic 0/1), up-converted first to one magic-2 batch per partition
// (broker/replica/append-legacy-message-set.ts; no producer id, so no idempotence below v3).
// acks 0 (no response), 1 (after the local append), -1 (after the ISR has it). Between the appends and
// the acks=all waits the connection may let the next Produce append (produce pipelining), so appends
// stay in order. Zstd needs v7+.
// Idempotent producers: duplicates of a producer's last 5 batches get their original offsets, gaps 45,
// fenced epochs 47 (broker/producer-state). Records are validated on the leader (87/32 with record_errors
// from v8); transactional and control batches are refused. Not implemented: transactions.
import type { ProduceResponse } from '../../protocol/index.js';
import { produceApi } from '../../protocol/messages/produce.js';
import type { PartitionAppendResult } from '../replica/append-records.js';
import { appendLegacyMessageSet } from '../replica/append-legacy-message-set.js';
import { defineApiHandler } from './api-handler.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

export const produceHandler = defineApiHandler(produceApi, {
  async handle(body, context, broker) {
    const zstdAllowed = context.header.apiVersion >= 7;
    // v0-2 carry legacy message sets (magic 0/1), up-converted before the normal append.
    const legacy = context.header.apiVersion < 3;
    const appended = await Promise.all(
      body.topicData.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitionData.map(async (p) => {
            const options = {
              topicPartition: { topic: topic.name, partition: p.index },
              records: p.records,
              requiredAcks: body.acks,
              timeoutMs: body.timeoutMs,
              zstdAllowed,
            };
            return {
              index: p.index,
              pending: legacy
                ? await appendLegacyMessageSet(broker.replicas, options, broker.logger)
                : await broker.replicas.appendRecords(options),
            };
          }),
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
