import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DESCRIPTORS, decodeResponse, encodeRequest } from '../../protocol/index.js';
import { CompressionCodec, RecordBatchField } from '../../protocol/record-batch-header.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest } from '../support/fetch-partition.js';
import {
  createTopic,
  RawKafkaConnection,
  rawRequest,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

const MAX_REQUEST_BYTES = 256 * 1024;

function batch(values: string[], compression = CompressionCodec.None): Buffer {
  return encodeRecordBatchSync({
    compression,
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
}

function produceBody(topic: string, records: Buffer) {
  return {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

describe('broker bad input: a clear error or a closed connection, nothing else harmed', () => {
  let harness: BrokerHarness;
  let bystander: RawKafkaConnection;

  /** The connection that was not misbehaving still gets answers. */
  async function bystanderStillServed(): Promise<void> {
    const response = await bystander.request(18, 3, {
      clientSoftwareName: 'bystander',
      clientSoftwareVersion: '1',
    });
    expect(response.errorCode).toBe(0);
  }

  async function readAll(topic: string): Promise<string[]> {
    const response = await bystander.request(
      1,
      11,
      fetchRequest(topic, 0n, { maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 }),
    );
    const records = response.responses[0]!.partitions[0]!.records;
    if (!records || records.length === 0) return [];
    return decodeRecordBatchesSync(records).flatMap((b) => b.records.map((r) => r.value!.toString()));
  }

  beforeAll(async () => {
    harness = await startBrokerHarness({
      'auto.create.topics.enable': 'false',
      'socket.request.max.bytes': String(MAX_REQUEST_BYTES),
      'delete.topic.enable': 'false',
    });
    bystander = await RawKafkaConnection.open(harness.port);
    expect(await createTopic(bystander, 'precious')).toBe(0);
    const first = await bystander.request(0, 7, produceBody('precious', batch(['one', 'two'])));
    expect(first.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });
  afterAll(async () => {
    bystander?.close();
    await harness?.stop();
  });

  it('a malformed frame closes that connection only', async () => {
    for (const garbage of [
      Buffer.from([0, 0, 0, 3, 1, 2, 3]), // too short for a header
      rawRequest(3, 9, 7, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])), // Metadata body that does not parse
      rawRequest(0, 7, 8, Buffer.alloc(0)), // Produce with no body
    ]) {
      const bad = await RawKafkaConnection.open(harness.port);
      bad.writeRaw(garbage);
      await bad.closed;
      expect(bad.isClosed).toBe(true);
      await bystanderStillServed();
    }
  });

  it('ApiVersions at an unknown version gets the v0 fallback: header v0, error 35 and our ranges', async () => {
    const connection = await RawKafkaConnection.open(harness.port);
    try {
      const frame = await connection.sendExpectingFrame(rawRequest(18, 99, 42, Buffer.alloc(0)), 42);
      const { header, body } = decodeResponse(18, 0, frame);
      expect(header.correlationId).toBe(42);
      expect(body.errorCode).toBe(35);
      expect(body.apiKeys).toContainEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 });
      expect(body.apiKeys).toContainEqual({ apiKey: 0, minVersion: 0, maxVersion: 9 });
      // The connection stays usable for the retry at a version we speak.
      const retry = await connection.request(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
      expect(retry.errorCode).toBe(0);
    } finally {
      connection.close();
    }
  });

  it('an unknown api key or unsupported version of another API closes the connection', async () => {
    for (const [apiKey, version] of [
      [999, 0],
      [1, 13],
      [1, 3], // Fetch: below its v4 floor
      [11, 7], // JoinGroup: known to the codec, served only up to v6
    ] as const) {
      const bad = await RawKafkaConnection.open(harness.port);
      bad.writeRaw(rawRequest(apiKey, version, 5, Buffer.alloc(16)));
      await bad.closed;
      expect(bad.isClosed, `api ${apiKey} v${version}`).toBe(true);
      await bystanderStillServed();
    }
  });

  it('a CRC-corrupted batch gets CORRUPT_MESSAGE (2); nothing written before is lost and offsets continue', async () => {
    const corrupt = batch(['evil']);
    corrupt[RecordBatchField.attributes + 10] ^= 0xff; // inside the CRC-covered part
    const producer = await RawKafkaConnection.open(harness.port);
    try {
      const response = await producer.request(0, 7, produceBody('precious', corrupt));
      expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(2);
      const next = await producer.request(0, 7, produceBody('precious', batch(['three'])));
      expect(next.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2n });
    } finally {
      producer.close();
    }
    expect(await readAll('precious')).toEqual(['one', 'two', 'three']);
  });

  it('an oversized request closes the connection (socket.request.max.bytes)', async () => {
    const big = await RawKafkaConnection.open(harness.port);
    const body = produceBody('precious', batch(['x'.repeat(MAX_REQUEST_BYTES)]));
    big.writeRaw(encodeRequest({ apiKey: 0, apiVersion: 7, correlationId: 1, clientId: null }, body));
    await big.closed;
    expect(big.isClosed).toBe(true);
    await bystanderStillServed();
    expect(await readAll('precious')).toContain('one');
  });

  it('produce to a missing topic with auto-create off: UNKNOWN_TOPIC_OR_PARTITION (3), topic not created', async () => {
    const response = await bystander.request(0, 7, produceBody('no-such-topic', batch(['lost'])));
    expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(3);
    const metadata = await bystander.request(3, 9, {
      topics: [{ name: 'no-such-topic' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(metadata.topics[0]!.errorCode).toBe(3);
  });

  it('zstd below Produce v7 gets UNSUPPORTED_COMPRESSION_TYPE (76) and is not written', async () => {
    const response = await bystander.request(
      0,
      6,
      produceBody('precious', batch(['zstd'], CompressionCodec.Zstd)),
    );
    expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(76);
    expect(await readAll('precious')).not.toContain('zstd');
  });

  it('hostile CreateTopics values are refused without allocating them', async () => {
    const ask = async (topic: {
      numPartitions: number;
      replicationFactor: number;
      assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
    }) =>
      (
        await bystander.request(19, 5, {
          topics: [{ name: 'hostile', configs: [], ...topic }],
          timeoutMs: 5_000,
          validateOnly: false,
        })
      ).topics[0]!.errorCode;
    expect(await ask({ numPartitions: 2 ** 31 - 1, replicationFactor: 1, assignments: [] })).toBe(37);
    expect(await ask({ numPartitions: 1, replicationFactor: 32_767, assignments: [] })).toBe(38);
    expect(
      await ask({
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 1e9, brokerIds: [1] }],
      }),
    ).toBe(39);
    await bystanderStillServed();
  });

  it('random and bit-flipped frames never take the broker down', async () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const served = API_DESCRIPTORS.filter((d) => [0, 1, 2, 3, 18, 32].includes(d.apiKey));
    const valid = [
      encodeRequest(
        { apiKey: 3, apiVersion: 9, correlationId: 999, clientId: 'f' },
        {
          topics: [{ name: 'precious' }],
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        },
      ),
      encodeRequest(
        { apiKey: 0, apiVersion: 8, correlationId: 999, clientId: 'f' },
        produceBody('precious', batch(['f'])),
      ),
      encodeRequest(
        { apiKey: 18, apiVersion: 3, correlationId: 999, clientId: 'f' },
        {
          clientSoftwareName: 'f',
          clientSoftwareVersion: '1',
        },
      ),
    ];
    for (let i = 0; i < 150; i++) {
      let frame: Buffer;
      if (i % 2 === 0) {
        const api = served[Math.floor(random() * served.length)]!;
        const version = api.minVersion + Math.floor(random() * (api.maxVersion - api.minVersion + 1));
        const body = Buffer.from(
          Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
        );
        frame = rawRequest(api.apiKey, version, i, body);
      } else {
        frame = Buffer.from(valid[i % valid.length]!);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f++) {
          const at = 4 + Math.floor(random() * (frame.length - 4));
          frame[at]! ^= 1 << Math.floor(random() * 8);
        }
      }
      const connection = await RawKafkaConnection.open(harness.port);
      connection.writeRaw(frame);
      // Either answered or closed; a follow-up request tells which, and must not hang.
      const probe = connection
        .request(18, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' })
        .then(() => 'answered')
        .catch(() => 'closed');
      await Promise.race([probe, connection.closed]);
      connection.close();
    }
    await bystanderStillServed();
    expect(await readAll('precious')).toEqual(expect.arrayContaining(['one', 'two', 'three']));
  });

  it('DeleteTopics with delete.topic.enable=false gets TOPIC_DELETION_DISABLED (73); the topic stays', async () => {
    const response = await bystander.request(20, 4, { topicNames: ['precious'], timeoutMs: 5_000 });
    expect(response.responses[0]).toMatchObject({ name: 'precious', errorCode: 73 });
    expect(await readAll('precious')).toContain('one');
  });

  it('a batch above message.max.bytes gets MESSAGE_TOO_LARGE (10)', async () => {
    expect(await createTopic(bystander, 'small', 1, [{ name: 'max.message.bytes', value: '200' }])).toBe(0);
    const response = await bystander.request(0, 7, produceBody('small', batch(['y'.repeat(500)])));
    expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(10);
  });
});
