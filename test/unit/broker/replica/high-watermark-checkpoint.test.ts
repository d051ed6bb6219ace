import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HighWatermarkCheckpoint,
  parseHighWatermarkCheckpoint,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
} from '../../../../broker/replica/high-watermark-checkpoint.js';

describe('replication-offset-checkpoint', () => {
  it("writes Kafka's layout (version, count, 'topic partition offset' lines) and reads it back", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-hwm-'));
    try {
      const checkpoint = new HighWatermarkCheckpoint(join(dir, 'logs'));
      await checkpoint.write([
        { topicPartition: { topic: 'orders', partition: 0 }, offset: 42n },
        { topicPartition: { topic: 'a.b-c', partition: 12 }, offset: 9007199254740993n },
      ]);
      const text = await readFile(join(dir, 'logs', REPLICATION_OFFSET_CHECKPOINT_FILE), 'utf8');
      expect(text).toBe('0\n2\norders 0 42\na.b-c 12 9007199254740993\n');
      expect(await checkpoint.read()).toEqual(
        new Map([
          ['orders-0', 42n],
          ['a.b-c-12', 9007199254740993n],
        ]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('treats a missing or malformed file as empty (high watermarks then start low, never high)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-hwm-'));
    try {
      expect((await new HighWatermarkCheckpoint(dir).read()).size).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(parseHighWatermarkCheckpoint('1\n1\nt 0 5\n')).toEqual([]);
    expect(parseHighWatermarkCheckpoint('0\n2\nt 0 5\n')).toEqual([]);
    expect(parseHighWatermarkCheckpoint('0\n1\nt zero 5\n')).toEqual([]);
  });
});
