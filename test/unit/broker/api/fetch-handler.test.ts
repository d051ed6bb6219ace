import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchHandler } from '../../../../broker/api/fetch.js';
import type { Partition } from '../../../../broker/replica/partition.js';
import { CompressionCodec } from '../../../../protocol/compression-codec.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import { StreamedBytes, type FetchRequest } from '../../../../protocol/index.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import { callHandler, startInMemoryBroker, type InMemoryBroker } from '../../../support/in-memory-broker.js';

let broker: InMemoryBroker;
beforeEach(async () => {
  broker = await startInMemoryBroker();
});
afterEach(async () => {
  await broker.close();
});

function batch(values: string[], compression = CompressionCodec.None): Buffer {
  return encodeRecordBatchSync({
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
    compression,
  });
}

type PartitionFetch = Partial<FetchRequest['topics'][number]['partitions'][number]>;

function fetchOf(
  partitions: Array<{ topic: string } & PartitionFetch>,
  options: Partial<Pick<FetchRequest, 'maxWaitMs' | 'minBytes' | 'maxBytes' | 'replicaId'>> = {},
): FetchRequest {
  const topics = [...new Set(partitions.map((p) => p.topic))].map((topic) => ({
    topic,
    partitions: partitions
      .filter((p) => p.topic === topic)
      .map(({ topic: _topic, ...p }) => ({
        partition: 0,
        currentLeaderEpoch: -1,
        fetchOffset: 0n,
        lastFetchedEpoch: -1,
        logStartOffset: -1n,
        partitionMaxBytes: 1 << 20,
        ...p,
      })),
  }));
  return {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics,
    forgottenTopicsData: [],
    rackId: '',
    ...options,
  };
}

/** The record values of an answer's record set (the handler hands records over as StreamedBytes). */
async function values(records: Buffer | StreamedBytes | null): Promise<string[]> {
  const pieces: Buffer[] = [];
  if (records instanceof StreamedBytes) for await (const piece of records.pieces()) pieces.push(piece);
  else if (records !== null) pieces.push(records);
  return decodeRecordBatchesSync(Buffer.concat(pieces)).flatMap((b) => b.records.map((r) => String(r.value)));
}

async function append(partition: Partition, records: Buffer): Promise<void> {
  await partition.appendAsLeader(records);
}

describe('Fetch handler over in-memory services', () => {
  it('reads committed batches with the partition offsets, in request order', async () => {
    const [orders] = await broker.addTopic('orders');
    const [audit] = await broker.addTopic('audit');
    await append(orders!, batch(['a', 'b']));
    await append(orders!, batch(['c']));
    await append(audit!, batch(['x']));
    const response = await callHandler(
      fetchHandler,
      broker.services,
      12,
      fetchOf([
        { topic: 'orders', fetchOffset: 2n },
        { topic: 'audit', fetchOffset: 0n },
      ]),
    );
    expect(response).toMatchObject({ errorCode: 0, sessionId: 0 });
    const [first, second] = response!.responses;
    expect(first!.topic).toBe('orders');
    expect(first!.partitions[0]).toMatchObject({
      partitionIndex: 0,
      errorCode: 0,
      highWatermark: 3n,
      lastStableOffset: 3n,
      logStartOffset: 0n,
      preferredReadReplica: -1,
    });
    expect(await values(first!.partitions[0]!.records)).toEqual(['c']);
    expect(second!.topic).toBe('audit');
    expect(await values(second!.partitions[0]!.records)).toEqual(['x']);
  });

  it('consumers see only what the ISR has; a follower fetch reads to the log end and advances it', async () => {
    const [partition] = await broker.addTopic('replicated', { isr: [1, 2] });
    await append(partition!, batch(['a']));
    const consumer = await callHandler(fetchHandler, broker.services, 12, fetchOf([{ topic: 'replicated' }]));
    expect(consumer!.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
    expect(await values(consumer!.responses[0]!.partitions[0]!.records)).toEqual([]);

    const follower = await callHandler(
      fetchHandler,
      broker.services,
      12,
      fetchOf([{ topic: 'replicated' }], { replicaId: 2 }),
    );
    expect(await values(follower!.responses[0]!.partitions[0]!.records)).toEqual(['a']);
    // The follower's next fetch offset is its progress: it has offset 0, the high watermark moves.
    await callHandler(
      fetchHandler,
      broker.services,
      12,
      fetchOf([{ topic: 'replicated', fetchOffset: 1n }], { replicaId: 2 }),
    );
    expect(partition!.highWatermark).toBe(1n);
  });

  it('long-polls for min_bytes and wakes when a record is appended', async () => {
    const [partition] = await broker.addTopic('orders');
    // Nothing to read yet; max_wait_ms is far beyond the test's timeout, so only the append can end it.
    const polling = callHandler(
      fetchHandler,
      broker.services,
      12,
      fetchOf([{ topic: 'orders' }], { minBytes: 1, maxWaitMs: 60_000 }),
    );
    await append(partition!, batch(['late']));
    const response = await polling;
    expect(await values(response!.responses[0]!.partitions[0]!.records)).toEqual(['late']);
  });

  it('a long poll ends when the request is aborted (connection closed)', async () => {
    await broker.addTopic('orders');
    const abort = new AbortController();
    const polling = callHandler(
      fetchHandler,
      broker.services,
      12,
      fetchOf([{ topic: 'orders' }], { minBytes: 1, maxWaitMs: 30_000 }),
      { signal: abort.signal },
    );
    abort.abort();
    const response = await polling;
    expect(response!.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, records: Buffer.alloc(0) });
  });

  it('answers errors per partition with empty record sets (never null)', async () => {
    const [partition] = await broker.addTopic('orders');
    await append(partition!, batch(['a']));
    broker.metadata.setTopic({
      name: 'elsewhere',
      assignment: [[2]],
      states: [{ leader: 2, leaderEpoch: 0, isr: [2], controllerEpoch: 1 }],
      config: {},
    });
    const response = await callHandler(
      fetchHandler,
      broker.services,
      12,
      fetchOf(
        [{ topic: 'missing' }, { topic: 'elsewhere' }, { topic: 'orders', partition: 0, fetchOffset: 5n }],
        { minBytes: 1, maxWaitMs: 30_000 },
      ),
    );
    const byTopic = new Map(response!.responses.map((t) => [t.topic, t.partitions[0]!]));
    expect(byTopic.get('missing')).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      highWatermark: -1n,
      records: Buffer.alloc(0),
    });
    expect(byTopic.get('elsewhere')).toMatchObject({
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      records: Buffer.alloc(0),
    });
    expect(byTopic.get('orders')).toMatchObject({
      errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
      highWatermark: 1n,
      records: Buffer.alloc(0),
    });
  });

  it('checks current_leader_epoch: older is fenced (74), newer unknown (75)', async () => {
    await broker.addTopic('orders');
    const epochError = async (currentLeaderEpoch: number) => {
      const response = await callHandler(
        fetchHandler,
        broker.services,
        12,
        fetchOf([{ topic: 'orders', currentLeaderEpoch }]),
      );
      return response!.responses[0]!.partitions[0]!.errorCode;
    };
    // addTopic leads in epoch 0.
    expect(await epochError(0)).toBe(0);
    expect(await epochError(1)).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    await broker.addTopic('orders', { leaderEpoch: 2 });
    expect(await epochError(1)).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  });

  it('zstd data goes to Fetch v10+ only', async () => {
    const [partition] = await broker.addTopic('packed');
    await append(partition!, batch(['z'], CompressionCodec.Zstd));
    const at = async (version: number) =>
      (await callHandler(fetchHandler, broker.services, version, fetchOf([{ topic: 'packed' }])))!
        .responses[0]!.partitions[0]!;
    expect(await at(9)).toMatchObject({
      errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      records: Buffer.alloc(0),
    });
    expect(await values((await at(10)).records)).toEqual(['z']);
  });
});
