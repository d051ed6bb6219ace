import { expect } from 'vitest';
import type { KafkaConnection } from '../../client/kafka-connection.js';
import type { CompressionCodec } from '../../protocol/compression-codec.js';
import { ApiKey, type FetchRequest, type FetchResponse } from '../../protocol/messages/index.js';
import { decodeRecordBatchesSync, type DecodedRecordBatch } from '../../protocol/record-batch.js';
import { compressionOf } from '../../protocol/record-batch-header.js';

/** Plain Fetch requests for one partition, as tests send them over any connection. */

export interface FetchOptions {
  partition?: number;
  /** -1 = a consumer; a broker id = a follower. */
  replicaId?: number;
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  currentLeaderEpoch?: number;
  /** What a follower reports as its log start; -1 (unknown) for consumers. */
  logStartOffset?: bigint;
}

/** A Fetch body (every version 4–12) for one partition of one topic. */
export function fetchRequest(topic: string, fetchOffset: bigint, options: FetchOptions = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: options.replicaId ?? -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: options.partition ?? 0,
            currentLeaderEpoch: options.currentLeaderEpoch ?? -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: options.logStartOffset ?? -1n,
            partitionMaxBytes: options.partitionMaxBytes ?? 8 * 1024 * 1024,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export interface PartitionContents {
  /** Batches in offset order, each trimmed to the records at or after the previous batch's end. */
  batches: DecodedRecordBatch[];
  /** From the last response. */
  highWatermark: bigint;
  /** The first non-zero partition error, which ends the read; 0 when the end was reached. */
  errorCode: number;
}

/**
 * Reads a partition from offset 0 until a Fetch brings nothing new (or an error). Decoding checks
 * every batch's CRC, so a torn batch served makes this throw.
 */
export async function fetchPartitionToEnd(
  send: (body: FetchRequest) => Promise<FetchResponse>,
  topic: string,
  partition: number,
  options: Omit<FetchOptions, 'partition'> = {},
): Promise<PartitionContents> {
  const batches: DecodedRecordBatch[] = [];
  let offset = 0n;
  for (;;) {
    const response = await send(fetchRequest(topic, offset, { ...options, partition }));
    const answer = response.responses[0]!.partitions[0]!;
    const done = (errorCode: number) => ({ batches, highWatermark: answer.highWatermark, errorCode });
    if (answer.errorCode !== 0) return done(answer.errorCode);
    const bytes = answer.records;
    if (!bytes || bytes.length === 0) return done(0);
    let fresh = false;
    for (const batch of decodeRecordBatchesSync(bytes)) {
      const records = batch.records.filter((r) => r.offset >= offset);
      if (records.length === 0) continue;
      batches.push({ header: batch.header, records });
      offset = records[records.length - 1]!.offset + 1n;
      fresh = true;
    }
    if (!fresh) return done(0);
  }
}

/** A stored batch as tests compare them: its codec, idempotence fields and record values. */
export interface StoredBatch {
  codec: CompressionCodec;
  producerId: bigint;
  baseSequence: number;
  values: (string | null)[];
}

/** Every batch stored in a partition, read with raw Fetch v12 requests (failing the test on an error). */
export async function storedBatches(
  connection: KafkaConnection,
  topic: string,
  partition = 0,
): Promise<StoredBatch[]> {
  const contents = await fetchPartitionToEnd(
    (body) => connection.request(ApiKey.Fetch, body, { version: 12 }),
    topic,
    partition,
  );
  expect(contents.errorCode).toBe(0);
  return contents.batches.map((b) => ({
    codec: compressionOf(b.header.attributes),
    producerId: b.header.producerId,
    baseSequence: b.header.baseSequence,
    values: b.records.map((r) => r.value?.toString() ?? null),
  }));
}
