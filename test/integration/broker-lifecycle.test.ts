import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest } from '../support/fetch-partition.js';
import { waitFor } from '../support/wait.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

describe('broker housekeeping: idle connections and retention', () => {
  let harness: BrokerHarness;

  beforeAll(async () => {
    harness = await startBrokerHarness({
      'connections.max.idle.ms': '300',
      'log.retention.check.interval.ms': '100',
    });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('closes a connection idle for connections.max.idle.ms; an active one stays open', async () => {
    const idle = await RawKafkaConnection.open(harness.port);
    const started = Date.now();
    await idle.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const busy = await RawKafkaConnection.open(harness.port);
    try {
      // Requests every 100 ms for over a second keep it alive.
      const until = Date.now() + 1_200;
      while (Date.now() < until) {
        const response = await busy.request(18, 3, {
          clientSoftwareName: 'busy',
          clientSoftwareVersion: '1',
        });
        expect(response.errorCode).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(busy.isClosed).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('applies retention.bytes every log.retention.check.interval.ms: old segments go, the log start moves', async () => {
    const client = await RawKafkaConnection.open(harness.port);
    try {
      expect(
        await createTopic(client, 'retained', 1, [
          { name: 'segment.bytes', value: '1024' },
          { name: 'retention.bytes', value: '2048' },
        ]),
      ).toBe(0);
      for (let i = 0; i < 20; i++) {
        const records = encodeRecordBatchSync({ records: [{ key: null, value: Buffer.alloc(400, i) }] });
        const response = await client.request(0, 7, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5_000,
          topicData: [{ name: 'retained', partitionData: [{ index: 0, records }] }],
        });
        expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
      const earliestOffset = async () => {
        const response = await client.request(2, 6, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: 'retained', partitions: [{ partitionIndex: 0, timestamp: -2n }] }],
        });
        return response.topics[0]!.partitions[0]!.offset!;
      };
      const partitionDir = join(harness.dataDir, 'logs', 'retained-0');
      const segmentSizes = async () => {
        const names = (await readdir(partitionDir)).filter((f) => f.endsWith('.log')).sort();
        return Promise.all(names.map(async (name) => (await stat(join(partitionDir, name))).size));
      };
      // 20 batches of ~470 bytes in 1 KiB segments: about 10 segments before retention; 2 KiB kept.
      // A pass may run mid-burst, so wait for the settled state: deleting the oldest closed segment
      // would take the log under retention.bytes, so no later pass deletes more.
      await waitFor(
        async () => {
          const sizes = await segmentSizes();
          const total = sizes.reduce((sum, size) => sum + size, 0);
          return (await earliestOffset()) >= 10n && sizes.length <= 4 && total - sizes[0]! < 2048;
        },
        { what: 'retention to delete the oldest segments' },
      );
      // Reading from below the new start is out of range, from the start works.
      const fetch = async (fetchOffset: bigint) =>
        (
          await client.request(
            1,
            11,
            fetchRequest('retained', fetchOffset, { maxBytes: 1 << 20, partitionMaxBytes: 1 << 20 }),
          )
        ).responses[0]!.partitions[0]!;
      expect((await fetch(0n)).errorCode).toBe(1);
      const earliest = await earliestOffset();
      const fromStart = await fetch(earliest);
      expect(fromStart.errorCode).toBe(0);
      expect(fromStart.logStartOffset).toBe(earliest);
      expect(fromStart.records!.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
