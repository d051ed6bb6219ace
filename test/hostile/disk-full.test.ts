import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest } from '../support/fetch-partition.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

/**
 * A log dir on a full file system: Produce answers 56 KAFKA_STORAGE_ERROR as Kafka does (not -1), what
 * is already stored stays readable, and appends work again once space is freed. The full disk is real:
 * a small tmpfs mounted for the test (needs root, as CI runs), filled by a file until ENOSPC.
 */

function batch(value: string): Buffer {
  return encodeRecordBatchSync({
    records: [{ key: null, value: Buffer.from(value), headers: [], timestamp: 1_700_000_000_000n }],
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

/** Writes zeros into `path` until the file system refuses with ENOSPC. */
function fillUntilFull(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('produce on a full disk', () => {
  let mountPoint: string;
  let mounted = false;
  let harness: BrokerHarness;
  let client: RawKafkaConnection;

  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'sluice-full-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test mounts a small tmpfs and needs root: ${(error as Error).message}`, {
        cause: error,
      });
    }
    mounted = true;
    harness = await startBrokerHarness({ 'log.dirs': join(mountPoint, 'logs') });
    client = await RawKafkaConnection.open(harness.port);
  });
  afterAll(async () => {
    client?.close();
    await harness?.stop();
    // Lazy: the broker's files may close a moment after it stops.
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('answers 56 KAFKA_STORAGE_ERROR, keeps serving what is stored, and appends again once space is freed', async () => {
    expect(await createTopic(client, 'full')).toBe(0);
    const first = await client.request(0, 7, produceBody('full', batch('before')));
    expect(first.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });

    const filler = join(mountPoint, 'filler');
    fillUntilFull(filler);
    const refused = await client.request(0, 7, produceBody('full', batch('x'.repeat(64 * 1024))));
    expect(refused.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);

    const stored = await client.request(1, 11, fetchRequest('full', 0n));
    const partition = stored.responses[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(0);
    expect(
      decodeRecordBatchesSync(partition.records!).flatMap((b) => b.records.map((r) => r.value!.toString())),
    ).toEqual(['before']);

    await rm(filler);
    const after = await client.request(0, 7, produceBody('full', batch('after')));
    expect(after.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1n });
    const all = await client.request(1, 11, fetchRequest('full', 0n));
    expect(
      decodeRecordBatchesSync(all.responses[0]!.partitions[0]!.records!).flatMap((b) =>
        b.records.map((r) => r.value!.toString()),
      ),
    ).toEqual(['before', 'after']);
  });
});
