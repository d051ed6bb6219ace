import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../protocol/record-batch-header.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest, type FetchOptions } from '../support/fetch-partition.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

function batch(
  values: string[],
  timestamp = 1_700_000_000_000n,
  compression = CompressionCodec.None,
): Buffer {
  return encodeRecordBatchSync({
    compression,
    records: values.map((v, i) => ({
      key: Buffer.from(`k-${v}`),
      value: Buffer.from(v),
      headers: [{ key: 'h', value: Buffer.from(String(i)) }],
      timestamp,
    })),
  });
}

function produceBody(topic: string, records: Buffer, acks = 1, partition = 0) {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

/** This file's Fetch: 10 MiB per response, 1 MiB per partition unless said otherwise. */
function fetchBody(topic: string, fetchOffset: bigint, options: FetchOptions = {}) {
  return fetchRequest(topic, fetchOffset, {
    maxBytes: 10 * 1024 * 1024,
    partitionMaxBytes: 1024 * 1024,
    ...options,
  });
}

function values(records: Buffer | null | undefined): string[] {
  if (!records || records.length === 0) return [];
  return decodeRecordBatchesSync(records).flatMap((b) => b.records.map((r) => r.value!.toString()));
}

describe('broker produce and fetch over the wire', () => {
  let harness: BrokerHarness;
  let client: RawKafkaConnection;

  beforeAll(async () => {
    harness = await startBrokerHarness();
    client = await RawKafkaConnection.open(harness.port);
  });
  afterAll(async () => {
    client?.close();
    await harness?.stop();
  });

  it('advertises exactly the handled APIs in ApiVersions v3', async () => {
    const response = await client.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(response.errorCode).toBe(0);
    const byKey = new Map(response.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(byKey.get(0)).toEqual([0, 9]);
    expect(byKey.get(1)).toEqual([4, 12]);
    expect(byKey.get(2)).toEqual([0, 6]);
    expect(byKey.get(3)).toEqual([0, 9]);
    expect(byKey.get(18)).toEqual([0, 3]);
    expect(byKey.get(19)).toEqual([0, 7]);
    expect(byKey.get(20)).toEqual([0, 6]);
    expect(byKey.get(32)).toEqual([0, 2]);
  });

  it('round-trips records: produce v3/v7/v9, fetch v4/v11/v12 return the same bytes and values', async () => {
    expect(await createTopic(client, 'round-trip')).toBe(0);
    const first = await client.request(0, 3, produceBody('round-trip', batch(['a', 'b'])));
    expect(first.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const second = await client.request(
      0,
      7,
      produceBody('round-trip', batch(['c'], undefined, CompressionCodec.Gzip)),
    );
    expect(second.responses[0]!.partitionResponses[0]).toMatchObject({
      errorCode: 0,
      baseOffset: 2n,
      logStartOffset: 0n,
    });
    const third = await client.request(
      0,
      9,
      produceBody('round-trip', batch(['d', 'e', 'f'], undefined, CompressionCodec.Zstd)),
    );
    expect(third.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3n });

    for (const version of [4, 11, 12]) {
      const response = await client.request(1, version, fetchBody('round-trip', 0n));
      const partition = response.responses[0]!.partitions[0]!;
      expect(partition.errorCode, `fetch v${version}`).toBe(0);
      // Below v10 the batches before the zstd one are served, and 76 only when positioned on it.
      if (version < 10) expect(values(partition.records)).toEqual(['a', 'b', 'c']);
      if (version >= 10) {
        expect(values(partition.records)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
        expect(partition.highWatermark).toBe(6n);
        expect(partition.lastStableOffset).toBe(6n);
        expect(partition.logStartOffset).toBe(0n);
      }
    }
    // Below Fetch v10 the uncompressed/gzip prefix is still readable when asked for by offset.
    const old = await client.request(1, 4, fetchBody('round-trip', 0n, { partitionMaxBytes: 1 }));
    expect(old.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(values(old.responses[0]!.partitions[0]!.records)).toEqual(['a', 'b']);
    const onZstd = await client.request(1, 4, fetchBody('round-trip', 3n));
    expect(onZstd.responses[0]!.partitions[0]!.errorCode).toBe(76);
    // Fetch sessions are not kept: every response is sessionless (session id 0).
    const v7 = await client.request(1, 7, { ...fetchBody('round-trip', 2n), sessionEpoch: 0 });
    expect(v7.sessionId).toBe(0);
    expect(v7.errorCode).toBe(0);
  });

  it('returns the first batch whole even when larger than partition_max_bytes, then respects the limit', async () => {
    expect(await createTopic(client, 'limits')).toBe(0);
    for (let i = 0; i < 3; i++) {
      await client.request(0, 7, produceBody('limits', batch([`v${i}`.padEnd(200, 'x')])));
    }
    const one = await client.request(1, 11, fetchBody('limits', 0n, { partitionMaxBytes: 10 }));
    expect(values(one.responses[0]!.partitions[0]!.records)).toHaveLength(1);
    const all = await client.request(1, 11, fetchBody('limits', 0n));
    expect(values(all.responses[0]!.partitions[0]!.records)).toHaveLength(3);
    const current = await client.request(1, 11, fetchBody('limits', 0n, { currentLeaderEpoch: 0 }));
    expect(current.responses[0]!.partitions[0]!.errorCode).toBe(0);
    const ahead = await client.request(1, 11, fetchBody('limits', 0n, { currentLeaderEpoch: 5 }));
    expect(ahead.responses[0]!.partitions[0]!.errorCode).toBe(75);
    const outOfRange = await client.request(1, 11, fetchBody('limits', 99n));
    expect(outOfRange.responses[0]!.partitions[0]!.errorCode).toBe(1);
  });

  it('serves several partitions per request; max_bytes caps the response after the first batch', async () => {
    expect(await createTopic(client, 'multi-a', 2)).toBe(0);
    expect(await createTopic(client, 'multi-b', 1)).toBe(0);
    const produced = await client.request(0, 8, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5_000,
      topicData: [
        {
          name: 'multi-a',
          partitionData: [
            { index: 0, records: batch(['a0'.padEnd(300, '.')]) },
            { index: 1, records: batch(['a1'.padEnd(300, '.')]) },
          ],
        },
        { name: 'multi-b', partitionData: [{ index: 0, records: batch(['b0'.padEnd(300, '.')]) }] },
      ],
    });
    expect(produced.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode))).toEqual([
      0, 0, 0,
    ]);
    const request = (maxBytes: number) => ({
      ...fetchBody('multi-a', 0n),
      maxBytes,
      topics: [
        {
          topic: 'multi-a',
          partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })),
        },
        { topic: 'multi-b', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    });
    const all = await client.request(1, 12, request(1 << 20));
    expect(all.responses.map((t) => t.partitions.map((p) => values(p.records)[0]?.slice(0, 2)))).toEqual([
      ['a0', 'a1'],
      ['b0'],
    ]);
    const capped = await client.request(1, 12, request(10));
    expect(capped.responses.map((t) => t.partitions.map((p) => values(p.records).length))).toEqual([
      [1, 0],
      [0],
    ]);
    expect(capped.responses[1]!.partitions[0]!.highWatermark).toBe(1n);
  });

  it('acks=0 sends no response and the next request on the connection is answered in order', async () => {
    expect(await createTopic(client, 'acks-zero')).toBe(0);
    client.send(0, 7, produceBody('acks-zero', batch(['fire', 'forget']), 0));
    const after = await client.request(0, 7, produceBody('acks-zero', batch(['acked']), -1));
    expect(after.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2n });
    const fetched = await client.request(1, 11, fetchBody('acks-zero', 0n));
    expect(values(fetched.responses[0]!.partitions[0]!.records)).toEqual(['fire', 'forget', 'acked']);
  });

  it('a long-poll fetch waits for min_bytes and wakes when a record is appended', async () => {
    expect(await createTopic(client, 'long-poll')).toBe(0);
    const consumer = await RawKafkaConnection.open(harness.port);
    try {
      const started = Date.now();
      let done = false;
      const poll = consumer
        .request(1, 11, fetchBody('long-poll', 0n, { maxWaitMs: 20_000, minBytes: 1 }))
        .then((r) => {
          done = true;
          return r;
        });
      // The fetch is parked: a full request round trip on another connection completes first.
      await client.request(3, 9, {
        topics: [{ name: 'long-poll' }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(done).toBe(false);
      await client.request(0, 7, produceBody('long-poll', batch(['wake'])));
      const response = await poll;
      expect(values(response.responses[0]!.partitions[0]!.records)).toEqual(['wake']);
      expect(Date.now() - started).toBeLessThan(10_000);

      // Without data the fetch returns empty once max_wait_ms has passed.
      const idleStart = Date.now();
      const idle = await consumer.request(1, 11, fetchBody('long-poll', 1n, { maxWaitMs: 300, minBytes: 1 }));
      expect(Date.now() - idleStart).toBeGreaterThanOrEqual(250);
      expect(idle.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);
    } finally {
      consumer.close();
    }
  });

  it('ListOffsets: earliest, latest and by timestamp (v1 and v6)', async () => {
    expect(await createTopic(client, 'by-time')).toBe(0);
    await client.request(0, 7, produceBody('by-time', batch(['t1a', 't1b'], 1_000n)));
    await client.request(0, 7, produceBody('by-time', batch(['t2'], 2_000n)));
    await client.request(0, 7, produceBody('by-time', batch(['t3'], 3_000n)));
    const ask = async (version: number, timestamp: bigint) => {
      const response = await client.request(2, version, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'by-time', partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1 }] }],
      });
      return response.topics[0]!.partitions[0]!;
    };
    for (const version of [1, 6]) {
      expect((await ask(version, -2n)).offset).toBe(0n);
      expect((await ask(version, -1n)).offset).toBe(4n);
      expect(await ask(version, 1_500n)).toMatchObject({ errorCode: 0, offset: 2n, timestamp: 2_000n });
      expect(await ask(version, 3_000n)).toMatchObject({ offset: 3n, timestamp: 3_000n });
      expect((await ask(version, 9_999n)).offset).toBe(-1n);
    }
  });

  it('Metadata v0..v9 lists this broker, the cluster id and each topic with leader, replicas and ISR', async () => {
    expect(await createTopic(client, 'meta', 3)).toBe(0);
    for (const version of [0, 1, 4, 9]) {
      const response = await client.request(3, version, {
        topics: [{ name: 'meta' }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(response.brokers).toEqual([
        expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: harness.port }),
      ]);
      if (version >= 1) expect(response.controllerId).toBe(1);
      if (version >= 2) expect(response.clusterId).toBe(harness.broker.clusterId);
      const topic = response.topics[0]!;
      expect(topic.errorCode).toBe(0);
      expect(topic.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes])).toEqual(
        [
          [0, 1, [1], [1]],
          [1, 1, [1], [1]],
          [2, 1, [1], [1]],
        ],
      );
    }
  });
});
