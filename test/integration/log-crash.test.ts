import { appendFile, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../broker/log/partition-log.js';
import { decodeRecordBatchesSync } from '../../protocol/record-batch.js';
import {
  recordBatchesIn,
  stampBaseOffset,
  stampPartitionLeaderEpoch,
} from '../../protocol/record-batch-header.js';
import { projectRoot, startProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { makeBatch, tempDir } from '../support/log-test-support.js';
import { batchForSeed, WRITER_EPOCH, WRITER_SEGMENT_BYTES } from './fixtures/log-writer-batches.js';

/**
 * Crash safety of the partition log with a real process: a writer appends in a burst and is
 * SIGKILLed; this process then reopens the log. Note what SIGKILL can and cannot show: the page cache
 * survives a killed process, so these tests prove recovery (torn writes, missing clean-shutdown
 * marker, stale indexes, offsets continuing), not fsync against power loss.
 */

const writerScript = join(projectRoot, 'test', 'integration', 'fixtures', 'log-writer.ts');

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir: root, cleanup } = await tempDir('sluice-log-crash-')));
afterEach(async () => cleanup());

interface Ack {
  seed: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

function parseAcks(stdout: string): Ack[] {
  return [...stdout.matchAll(/^ack (\d+) (\d+) (\d+)$/gm)].map((m) => ({
    seed: Number(m[1]),
    baseOffset: BigInt(m[2]!),
    lastOffset: BigInt(m[3]!),
  }));
}

/** Starts the writer, lets it acknowledge `acks` appends, SIGKILLs it mid-burst. */
async function runWriterAndKill(dir: string, mode: string, valueBytes: number, acks: number): Promise<Ack[]> {
  const writer = startProcess(
    process.execPath,
    ['--import', 'tsx', writerScript, dir, mode, String(valueBytes), '4'],
    {
      cwd: projectRoot,
      env: { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: 'warn' },
    },
  );
  await writer.waitForOutput('ready', 30_000);
  await waitFor(() => parseAcks(writer.stdout()).length >= acks, { timeoutMs: 60_000, what: `${acks} acks` });
  expect(await writer.kill('SIGKILL')).toBe('SIGKILL');
  return parseAcks(writer.stdout());
}

/** Reads the whole log from the start; checks CRCs (decode) and that offsets run without gaps. */
async function scanWholeLog(log: PartitionLog): Promise<{ batches: number; records: number }> {
  let next = log.logStartOffset;
  let batches = 0;
  let records = 0;
  while (next < log.logEndOffset) {
    const { records: bytes } = await log.read(next, { maxBytes: 4 << 20 });
    expect(bytes.length).toBeGreaterThan(0);
    for (const batch of decodeRecordBatchesSync(bytes)) {
      expect(batch.header.baseOffset).toBe(next);
      expect(batch.records.map((r) => r.offset)).toEqual(
        Array.from({ length: batch.header.recordsCount }, (_, i) => next + BigInt(i)),
      );
      next += BigInt(batch.header.lastOffsetDelta) + 1n;
      batches++;
      records += batch.records.length;
    }
  }
  expect(next).toBe(log.logEndOffset);
  return { batches, records };
}

async function expectAcksReadable(log: PartitionLog, acks: Ack[], valueBytes: number): Promise<void> {
  for (const ack of acks) {
    const expected = batchForSeed(ack.seed, valueBytes);
    stampBaseOffset(expected, 0, ack.baseOffset);
    stampPartitionLeaderEpoch(expected, 0, WRITER_EPOCH);
    const { records } = await log.read(ack.baseOffset, { maxBytes: 1 });
    expect(records.equals(expected)).toBe(true);
  }
}

async function expectAppendsContinue(log: PartitionLog): Promise<void> {
  const end = log.logEndOffset;
  const first = await log.append(makeBatch({ count: 3 }), { leaderEpoch: WRITER_EPOCH + 1 });
  const second = await log.append(makeBatch({ count: 2 }), { leaderEpoch: WRITER_EPOCH + 1 });
  expect(first.baseOffset).toBe(end);
  expect(second.baseOffset).toBe(end + 3n);
  await scanWholeLog(log);
}

describe('partition log crash safety (SIGKILLed writer process)', () => {
  it('with flush.messages=1 every acknowledged batch survives byte-identical and offsets continue', async () => {
    const dir = join(root, 'crash-0');
    const valueBytes = 2000; // ~5-10 KiB batches: several segment rolls before the kill
    const acks = await runWriterAndKill(dir, 'flush-every', valueBytes, 600);
    expect(new Set(acks.map((a) => a.baseOffset)).size).toBe(acks.length);

    const log = await PartitionLog.open({
      dir,
      config: { segmentBytes: WRITER_SEGMENT_BYTES, flushIntervalMessages: 1 },
    });
    try {
      expect(log.segmentBaseOffsets.length).toBeGreaterThan(1);
      const maxAcked = acks.reduce((m, a) => (a.lastOffset > m ? a.lastOffset : m), -1n);
      expect(log.logEndOffset).toBeGreaterThan(maxAcked);
      await expectAcksReadable(log, acks, valueBytes);
      const { records } = await scanWholeLog(log);
      expect(BigInt(records)).toBe(log.logEndOffset);
      expect(log.epochEntries).toEqual([{ epoch: WRITER_EPOCH, startOffset: 0n }]);
      await expectAppendsContinue(log);
    } finally {
      await log.close();
    }
    // And once more after a clean close.
    const reopened = await PartitionLog.open({ dir, config: { segmentBytes: WRITER_SEGMENT_BYTES } });
    try {
      await expectAcksReadable(reopened, acks, valueBytes);
      await scanWholeLog(reopened);
    } finally {
      await reopened.close();
    }
  });

  it('with default flush settings the killed log opens consistent: whole batches, no gaps', async () => {
    const dir = join(root, 'crash-1');
    // Large batches (~300 KiB). In practice Linux finishes a pwrite before the kill lands, so a torn
    // batch is rare here; the next test tears one deliberately.
    const valueBytes = 60_000;
    const acks = await runWriterAndKill(dir, 'os-flush', valueBytes, 150);
    const log = await PartitionLog.open({ dir, config: { segmentBytes: WRITER_SEGMENT_BYTES } });
    try {
      const { batches } = await scanWholeLog(log);
      expect(batches).toBeGreaterThan(0);
      // SIGKILL leaves the page cache intact, so even unflushed acknowledged appends are there.
      await expectAcksReadable(log, acks, valueBytes);
      await expectAppendsContinue(log);
    } finally {
      await log.close();
    }
  });

  it('a deliberately torn tail (cut mid-batch, then garbage) is cut off on open', async () => {
    const dir = join(root, 'crash-2');
    const valueBytes = 500;
    const acks = await runWriterAndKill(dir, 'os-flush', valueBytes, 200);
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    const lastSegment = join(dir, segments.at(-1)!);
    // Find the batch boundaries of the last segment, cut the last batch in half, add garbage.
    const probe = await PartitionLog.open({ dir, config: { segmentBytes: WRITER_SEGMENT_BYTES } });
    const base = probe.segmentBaseOffsets.at(-1)!;
    const { records } = await probe.read(base, { maxBytes: WRITER_SEGMENT_BYTES * 2 });
    await probe.close();
    const slices = [...recordBatchesIn(records)];
    expect(slices.length).toBeGreaterThan(1);
    const last = slices.at(-1)!;
    expect((await stat(lastSegment)).size).toBe(last.offset + last.size);
    await truncate(lastSegment, last.offset + Math.floor(last.size / 2));
    await appendFile(lastSegment, Buffer.alloc(777, 0x5a));
    // A crash also leaves no clean-shutdown marker.
    await import('node:fs/promises').then((fs) => fs.unlink(join(dir, 'clean-shutdown')));

    const log = await PartitionLog.open({ dir, config: { segmentBytes: WRITER_SEGMENT_BYTES } });
    try {
      expect((await stat(lastSegment)).size).toBe(last.offset);
      expect(log.logEndOffset).toBe(last.header.baseOffset);
      await scanWholeLog(log);
      await expectAcksReadable(
        log,
        acks.filter((a) => a.baseOffset < last.header.baseOffset),
        valueBytes,
      );
      await expectAppendsContinue(log);
    } finally {
      await log.close();
    }
  });
});
