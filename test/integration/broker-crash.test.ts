import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { KafkaConnection, parseAddress } from '../../client/kafka-connection.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { CompressionCodec } from '../../protocol/compression-codec.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchPartitionToEnd } from '../support/fetch-partition.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * SIGKILL a real broker process in the middle of a pipelined acks=1 produce burst, restart it on the
 * same log dir, and read everything back: with flush on every message, every acknowledged record must
 * be there; with the default flush policy the log must at least be consistent (dense offsets, valid
 * batches, no record twice, nothing we did not send). Offsets then continue where the log ends.
 */

const TOPIC = 'crash';
const PARTITIONS = 2;
const RECORDS_PER_BATCH = 20;
const LANES = 8;
const KILL_AFTER_ACKED_BATCHES = 150;

let broker: SingleBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

interface Acked {
  partition: number;
  baseOffset: bigint;
  values: string[];
}

function batchFor(seq: number, partition: number): { bytes: Buffer; values: string[] } {
  const values = Array.from(
    { length: RECORDS_PER_BATCH },
    (_, j) => `p${partition}-b${seq}-r${j}-${'x'.repeat(seq % 200)}`,
  );
  const bytes = encodeRecordBatchSync({
    // Alternate codecs so compressed batches are cut by the crash too.
    compression: seq % 2 === 0 ? CompressionCodec.None : CompressionCodec.Lz4,
    records: values.map((v) => ({ key: Buffer.from(`k${seq}`), value: Buffer.from(v) })),
  });
  return { bytes, values };
}

async function connect(b: SingleBroker): Promise<KafkaConnection> {
  return KafkaConnection.connect(parseAddress(b.bootstrap), {
    maxInFlight: LANES * 2,
    requestTimeoutMs: 10_000,
  });
}

/** Produces from several lanes until the connection dies; SIGKILLs the broker once enough is acked. */
async function burstUntilKilled(b: SingleBroker): Promise<{ acked: Acked[]; sent: Set<string> }> {
  const connection = await connect(b);
  const acked: Acked[] = [];
  const sent = new Set<string>();
  let seq = 0;
  let killed: Promise<void> | undefined;
  const lane = async () => {
    for (;;) {
      const mySeq = seq++;
      const partition = mySeq % PARTITIONS;
      const { bytes, values } = batchFor(mySeq, partition);
      for (const v of values) sent.add(v);
      let response;
      try {
        response = await connection.request(ApiKey.Produce, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 10_000,
          topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: bytes }] }],
        });
      } catch {
        return; // the broker is gone
      }
      const result = response.responses[0]!.partitionResponses[0]!;
      if (result.errorCode === 0) acked.push({ partition, baseOffset: result.baseOffset, values });
      if (acked.length >= KILL_AFTER_ACKED_BATCHES && !killed) killed = b.stopBroker('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  connection.close();
  await killed;
  return { acked, sent };
}

async function readPartition(connection: KafkaConnection, partition: number) {
  // Decoding checks every batch's CRC: a torn batch served would throw here.
  const read = await fetchPartitionToEnd((body) => connection.request(ApiKey.Fetch, body), TOPIC, partition, {
    maxBytes: 8 << 20,
    partitionMaxBytes: 4 << 20,
  });
  expect(read.errorCode).toBe(0);
  const records = read.batches.flatMap((batch) =>
    batch.records.map((r) => ({ offset: r.offset, value: r.value!.toString() })),
  );
  return { records, highWatermark: read.highWatermark };
}

/**
 * Simulates a write the crash cut short: appends all but the last bytes of a valid batch to the
 * active segment of each partition (Kafka's layout: <log.dirs>/<topic>-<partition>/<offset>.log).
 */
async function tearActiveSegments(logDir: string): Promise<void> {
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const dir = join(logDir, `${TOPIC}-${partition}`);
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    expect(segments.length).toBeGreaterThan(0);
    const { bytes } = batchFor(2_000_000 + partition, partition);
    await appendFile(join(dir, segments.at(-1)!), bytes.subarray(0, bytes.length - 7));
  }
}

async function crashAndVerify(
  overrides: Record<string, string>,
  requireAcked: boolean,
  tearTail = false,
): Promise<void> {
  broker = await startSingleBroker({ overrides, sessionTimeoutMs: 2_000 });
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  try {
    const [created] = await admin.createTopics([
      { name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 },
    ]);
    expect(created?.error).toBeUndefined();
    await waitFor(
      async () =>
        (await admin.client.refreshMetadata([TOPIC])).topic(TOPIC)?.partitions.every((p) => p.leader === 1),
      {
        what: 'partition leaders',
      },
    );
  } finally {
    await admin.close();
  }

  const { acked, sent } = await burstUntilKilled(broker);
  expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKED_BATCHES);
  // The kill landed mid-burst: some requests were in flight and never answered.
  expect(sent.size).toBeGreaterThan(acked.length * RECORDS_PER_BATCH);

  if (tearTail) await tearActiveSegments(broker.logDir);
  await broker.restartBroker();
  const connection = await connect(broker);
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const { records, highWatermark } = await readPartition(connection, partition);
      // Dense offsets from 0 to the end of the log: no gaps, no duplicates.
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => BigInt(i)));
      expect(BigInt(records.length)).toBe(highWatermark);
      const values = records.map((r) => r.value);
      expect(new Set(values).size).toBe(values.length);
      expect(values.filter((v) => !sent.has(v))).toEqual([]);
      expect(values.every((v) => v.startsWith(`p${partition}-`))).toBe(true);

      const ackedHere = acked.filter((a) => a.partition === partition);
      const missing: string[] = [];
      for (const a of ackedHere) {
        a.values.forEach((v, j) => {
          const at = Number(a.baseOffset) + j;
          if (at < values.length) {
            // Whatever survived sits exactly where the broker said it would.
            expect(values[at]).toBe(v);
          } else missing.push(v);
        });
      }
      if (requireAcked) expect(missing).toEqual([]);

      // Offsets continue where the recovered log ends.
      const { bytes, values: continuation } = batchFor(1_000_000 + partition, partition);
      const response = await connection.request(ApiKey.Produce, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: bytes }] }],
      });
      const result = response.responses[0]!.partitionResponses[0]!;
      expect(result.errorCode).toBe(0);
      expect(result.baseOffset).toBe(highWatermark);
      // …and what was appended after recovery reads back: no leftover bytes of a torn batch sit in between.
      const reread = await readPartition(connection, partition);
      expect(reread.records.map((r) => r.value)).toEqual([...values, ...continuation]);
    }
  } finally {
    connection.close();
  }
}

describe('broker crash safety (SIGKILL during a produce burst)', () => {
  it('with log.flush.interval.messages=1 every acknowledged record survives and offsets continue', async () => {
    await crashAndVerify({ 'log.flush.interval.messages': '1' }, true);
  }, 120_000);

  it('with the default flush policy the recovered log is consistent and offsets continue', async () => {
    await crashAndVerify({}, false);
  }, 120_000);

  it('a torn batch at the end of the active segment is cut off on recovery, never served', async () => {
    await crashAndVerify({}, false, true);
  }, 120_000);
});
