import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { KafkaConnection } from '../../client/kafka-connection.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicWithLeaders } from '../support/topic-with-leader.js';

/**
 * ListOffsets v0, as Burrow's cluster module and older Sarama and kafka-go ask it: a raw v0 request
 * (max_num_offsets, old_style_offsets) against a real broker whose partition has three segments.
 */

let broker: SingleBroker;
let connection: KafkaConnection;
const BATCHES = 3;
const PER_BATCH = 5;

beforeAll(async () => {
  broker = await startSingleBroker();
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  try {
    // Each 1.5 KB batch overflows a 1 KiB segment, so every batch after the first starts a segment.
    await createTopicWithLeaders(admin, {
      name: 'legacy',
      numPartitions: 1,
      configs: { 'segment.bytes': '1024' },
    });
  } finally {
    await admin.close();
  }
  for (let b = 0; b < BATCHES; b++) {
    const input = Array.from({ length: PER_BATCH }, (_, i) => `${b}-${i}-${'x'.repeat(300)}\n`).join('');
    await runToEnd('kcat', ['-P', '-b', broker.bootstrap, '-t', 'legacy', '-p', '0'], { input });
  }
  const [host, port] = broker.bootstrap.split(':');
  connection = await KafkaConnection.connect({ host: host!, port: Number(port) });
});

afterAll(async () => {
  connection?.close();
  await broker?.close();
});

/** The partition's segment base offsets, newest first, from the segment file names on disk. */
async function segmentBasesNewestFirst(): Promise<bigint[]> {
  const names = await readdir(join(broker.logDir, 'legacy-0'));
  return names
    .filter((n) => n.endsWith('.log'))
    .map((n) => BigInt(n.slice(0, -'.log'.length)))
    .sort((a, b) => (a > b ? -1 : 1));
}

async function listOffsetsV0(topic: string, timestamp: bigint, maxNumOffsets: number) {
  const response = await connection.request(
    ApiKey.ListOffsets,
    {
      replicaId: -1,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }],
    },
    { version: 0 },
  );
  const answer = response.topics[0]!.partitions[0]!;
  return { errorCode: answer.errorCode, offsets: answer.oldStyleOffsets };
}

describe('ListOffsets v0', () => {
  const end = BigInt(BATCHES * PER_BATCH);

  it('latest: the log end; with room for more, the segment base offsets, newest first', async () => {
    expect(await listOffsetsV0('legacy', -1n, 1)).toEqual({ errorCode: 0, offsets: [end] });
    const bases = await segmentBasesNewestFirst();
    expect(bases.length).toBeGreaterThanOrEqual(BATCHES);
    expect(await listOffsetsV0('legacy', -1n, 100)).toEqual({ errorCode: 0, offsets: [end, ...bases] });
    expect(await listOffsetsV0('legacy', -1n, 2)).toEqual({ errorCode: 0, offsets: [end, bases[0]] });
  });

  it('earliest: the log start', async () => {
    expect(await listOffsetsV0('legacy', -2n, 1)).toEqual({ errorCode: 0, offsets: [0n] });
  });

  it('by time: the segments written at or before it', async () => {
    const future = BigInt(Date.now() + 3_600_000);
    const bases = await segmentBasesNewestFirst();
    expect(await listOffsetsV0('legacy', future, 100)).toEqual({ errorCode: 0, offsets: [end, ...bases] });
    expect(await listOffsetsV0('legacy', 1n, 10)).toEqual({ errorCode: 0, offsets: [] });
  });

  it('an unknown topic answers 3 UNKNOWN_TOPIC_OR_PARTITION', async () => {
    expect(await listOffsetsV0('no-such-topic', -1n, 1)).toEqual({ errorCode: 3, offsets: [] });
  });
});
