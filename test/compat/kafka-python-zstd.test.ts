import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { KafkaConnection } from '../../client/kafka-connection.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { compressionOf, recordBatchesIn } from '../../protocol/record-batch-header.js';
import { CompressionCodec } from '../../protocol/compression-codec.js';
import { fetchRequest } from '../support/fetch-partition.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicWithLeaders } from '../support/topic-with-leader.js';

/**
 * An old client (kafka-python 2.0.2 fetches with v4: no zstd) on a partition where a zstd batch
 * (kcat -z zstd) follows plain ones: it reads every record before the zstd batch instead of being
 * refused the whole range.
 */

let broker: SingleBroker;
let connection: KafkaConnection;
const TOPIC = 'mixed-codecs';

/** Values long and repetitive enough that librdkafka keeps them compressed (it sends smaller as is). */
const value = (name: string) => `${name}-${name.repeat(50)}`;

async function produce(lines: string[], codec: string): Promise<void> {
  await runToEnd('kcat', ['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0', '-z', codec], {
    input: lines.map((l) => `${value(l)}\n`).join(''),
  });
}

const CONSUME = `
import json, sys, time
from kafka import KafkaConsumer, TopicPartition
consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False,
                         auto_offset_reset='earliest', group_id=None)
tp = TopicPartition(sys.argv[2], 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
values = []
deadline = time.time() + float(sys.argv[3])
while time.time() < deadline and len(values) < int(sys.argv[4]):
    for records in consumer.poll(timeout_ms=200).values():
        values.extend(r.value.decode() for r in records)
print(json.dumps({'apiVersion': list(consumer.config['api_version']), 'values': values}))
consumer.close()
`;

beforeAll(async () => {
  broker = await startSingleBroker();
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  try {
    await createTopicWithLeaders(admin, { name: TOPIC, numPartitions: 1 });
  } finally {
    await admin.close();
  }
  await produce(['plain-0', 'plain-1', 'plain-2'], 'none');
  // Only zstd is beyond Fetch v4, so the batches around the zstd one are plain.
  await produce(['plain-3', 'plain-4'], 'none');
  await produce(['zstd-5', 'zstd-6'], 'zstd');
  await produce(['plain-7'], 'none');
  const [host, port] = broker.bootstrap.split(':');
  connection = await KafkaConnection.connect({ host: host!, port: Number(port) });
});

afterAll(async () => {
  connection?.close();
  await broker?.close();
});

describe('Fetch below v10 with a zstd batch in range', () => {
  it('kafka-python 2.0.2 reads the records before the zstd batch', async () => {
    const { stdout } = await runToEnd(
      '/usr/bin/python3',
      ['-c', CONSUME, broker.bootstrap, TOPIC, '5', '6'],
      {
        timeoutMs: 60_000,
      },
    );
    const result = JSON.parse(stdout) as { apiVersion: number[]; values: string[] };
    // kafka-python picks Fetch v4 for any broker it identifies as 0.11 or newer.
    const [major, minor] = result.apiVersion as [number, number];
    expect(major > 0 || minor >= 11).toBe(true);
    expect(result.values).toEqual(['plain-0', 'plain-1', 'plain-2', 'plain-3', 'plain-4'].map(value));
  });

  it('a raw Fetch v9 gets the batches before the zstd one, then 76 positioned on it', async () => {
    const fetch = async (offset: bigint) =>
      (await connection.request(ApiKey.Fetch, fetchRequest(TOPIC, offset), { version: 9 })).responses[0]!
        .partitions[0]!;
    const first = await fetch(0n);
    expect(first.errorCode).toBe(0);
    const codecs = [...recordBatchesIn(first.records!)].map((b) => compressionOf(b.header.attributes));
    expect(codecs).toEqual([CompressionCodec.None, CompressionCodec.None]);
    expect(await fetch(5n)).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE });
    expect(await fetch(6n)).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE });
    const after = await fetch(7n);
    expect(after.errorCode).toBe(0);
    expect([...recordBatchesIn(after.records!)].map((b) => b.header.baseOffset)).toEqual([7n]);
    // v10+ gets everything.
    const v10 = (await connection.request(ApiKey.Fetch, fetchRequest(TOPIC, 0n), { version: 10 }))
      .responses[0]!.partitions[0]!;
    expect([...recordBatchesIn(v10.records!)].map((b) => b.header.baseOffset)).toEqual([0n, 3n, 5n, 7n]);
  });
});
