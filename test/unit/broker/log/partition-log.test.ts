import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog, type PartitionLogOptions } from '../../../../broker/log/partition-log.js';
import type { LogConfig } from '../../../../broker/log/log-config.js';
import {
  MessageTooLargeError,
  OffsetOutOfRangeError,
  UnexpectedAppendOffsetError,
} from '../../../../broker/log/log-errors.js';
import { SegmentHandleCache } from '../../../../broker/log/segment-handle-cache.js';
import {
  CorruptRecordBatchError,
  readRecordBatchHeader,
  recordBatchesIn,
} from '../../../../protocol/record-batch-header.js';
import { decodeRecordBatchesSync } from '../../../../protocol/record-batch.js';
import { CompressionCodec } from '../../../../protocol/compression-codec.js';
import { makeBatch, tempDir } from '../../../support/log-test-support.js';

let root: string;
let cleanup: () => Promise<void>;
const opened: PartitionLog[] = [];

beforeEach(async () => ({ dir: root, cleanup } = await tempDir()));
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined);
  await cleanup();
});

async function openLog(
  config: Partial<LogConfig> = {},
  extra: Partial<PartitionLogOptions> = {},
): Promise<PartitionLog> {
  const log = await PartitionLog.open({ dir: join(root, 'events-0'), config, ...extra });
  opened.push(log);
  return log;
}

/** All offsets readable from `from`, by repeated reads (as a consumer would). */
async function readAllOffsets(log: PartitionLog, from = log.logStartOffset): Promise<bigint[]> {
  const offsets: bigint[] = [];
  let next = from;
  while (next < log.logEndOffset) {
    const { records } = await log.read(next, { maxBytes: 1 << 20 });
    if (records.length === 0) break;
    for (const batch of decodeRecordBatchesSync(records)) {
      for (const r of batch.records) if (r.offset >= next) offsets.push(r.offset);
      next = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
    }
  }
  return offsets;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));

describe('PartitionLog append and read', () => {
  it('assigns offsets, stamps them and the epoch in place, and reads the same bytes back', async () => {
    const log = await openLog();
    const a = makeBatch({ count: 3, seed: 1 });
    const b = makeBatch({ count: 2, seed: 2 });
    expect(await log.append(a, { leaderEpoch: 7 })).toEqual({
      baseOffset: 0n,
      lastOffset: 2n,
      logAppendTimeMs: -1n,
      recordsCount: 3,
    });
    expect(readRecordBatchHeader(a).baseOffset).toBe(0n);
    expect(readRecordBatchHeader(a).partitionLeaderEpoch).toBe(7);
    expect((await log.append(b, { leaderEpoch: 7 })).baseOffset).toBe(3n);
    expect(log.logEndOffset).toBe(5n);
    const { records } = await log.read(0n, { maxBytes: 1 << 20 });
    expect(records.equals(Buffer.concat([a, b]))).toBe(true);
    expect(decodeRecordBatchesSync(records).flatMap((d) => d.records.map((r) => r.offset))).toEqual(
      range(0, 5),
    );
  });

  it('stamps the broker clock under LogAppendTime and keeps the CRC valid', async () => {
    const log = await openLog({ messageTimestampType: 'LogAppendTime' }, { now: () => 1_234_567 });
    const batch = makeBatch({ count: 3, timestamp: 5n });
    const result = await log.append(batch, { leaderEpoch: 0 });
    expect(result.logAppendTimeMs).toBe(1_234_567n);
    const { records } = await log.read(0n, { maxBytes: 1 << 20 });
    const [decoded] = decodeRecordBatchesSync(records); // checks the CRC
    expect(decoded!.header.maxTimestamp).toBe(1_234_567n);
    expect(decoded!.header.attributes & 0x08).toBe(0x08);
    expect(await log.offsetForTimestamp(1_000_000n)).toMatchObject({ offset: 0n });
  });

  it('appends several batches of one produce request as one unit', async () => {
    const log = await openLog();
    const batches = Buffer.concat([
      makeBatch({ count: 2 }),
      makeBatch({ count: 4 }),
      makeBatch({ count: 1 }),
    ]);
    const result = await log.append(batches, { leaderEpoch: 0 });
    expect(result).toMatchObject({ baseOffset: 0n, lastOffset: 6n, recordsCount: 7 });
    expect([...recordBatchesIn(batches)].map((b) => b.header.baseOffset)).toEqual([0n, 2n, 6n]);
    expect(await readAllOffsets(log)).toEqual(range(0, 7));
  });

  it('keeps compressed batches as bytes (no re-encoding)', async () => {
    const log = await openLog();
    const batch = makeBatch({ count: 50, valueBytes: 100, compression: CompressionCodec.Gzip });
    await log.append(batch, { leaderEpoch: 0 });
    const { records } = await log.read(0n, { maxBytes: 1 << 20 });
    expect(records.equals(batch)).toBe(true);
    expect(await readAllOffsets(log)).toEqual(range(0, 50));
  });

  it('reads at any offset inside a batch, through sparse index entries', async () => {
    const log = await openLog({ indexIntervalBytes: 200 });
    for (let i = 0; i < 100; i++)
      await log.append(makeBatch({ count: 5, valueBytes: 20, seed: i }), { leaderEpoch: 0 });
    for (const offset of [0n, 1n, 4n, 5n, 123n, 250n, 499n]) {
      const { records } = await log.read(offset, { maxBytes: 1 });
      const [batch] = [...recordBatchesIn(records)];
      expect(batch!.header.baseOffset).toBe((offset / 5n) * 5n);
      expect(batch!.size).toBe(records.length);
    }
    const files = await readdir(join(root, 'events-0'));
    expect(files).toContain('00000000000000000000.log');
    expect(await log.read(500n, { maxBytes: 100 })).toEqual({ records: Buffer.alloc(0) });
  });

  it('returns whole batches within maxBytes, the first batch whole even if larger, or none without minOneBatch', async () => {
    const log = await openLog();
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = makeBatch({ count: 1, valueBytes: 1000 });
      sizes.push(batch.length);
      await log.append(batch, { leaderEpoch: 0 });
    }
    const two = await log.read(0n, { maxBytes: sizes[0]! + sizes[1]! + 10 });
    expect(two.records.length).toBe(sizes[0]! + sizes[1]!);
    const oversized = await log.read(1n, { maxBytes: 10 });
    expect(oversized.records.length).toBe(sizes[1]);
    expect(readRecordBatchHeader(oversized.records).baseOffset).toBe(1n);
    expect((await log.read(1n, { maxBytes: 10, minOneBatch: false })).records.length).toBe(0);
  });

  it('never returns batches at or past maxOffset (the high watermark)', async () => {
    const log = await openLog();
    for (let i = 0; i < 4; i++) await log.append(makeBatch({ count: 10 }), { leaderEpoch: 0 });
    const upTo20 = await log.read(0n, { maxBytes: 1 << 20, maxOffset: 20n });
    expect(decodeRecordBatchesSync(upTo20.records).flatMap((b) => b.records.map((r) => r.offset))).toEqual(
      range(0, 20),
    );
    expect((await log.read(20n, { maxBytes: 1 << 20, maxOffset: 20n })).records.length).toBe(0);
    expect((await log.read(25n, { maxBytes: 1 << 20, maxOffset: 20n })).records.length).toBe(0);
  });

  it('throws OffsetOutOfRange (code 1) outside [logStartOffset, logEndOffset]', async () => {
    const log = await openLog();
    await log.append(makeBatch({ count: 3 }), { leaderEpoch: 0 });
    await expect(log.read(4n, { maxBytes: 100 })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1n, { maxBytes: 100 })).rejects.toMatchObject({ code: 1 });
    expect((await log.read(3n, { maxBytes: 100 })).records.length).toBe(0);
  });
});

describe('PartitionLog validation', () => {
  it('rejects a CRC-corrupted batch with CORRUPT_MESSAGE and writes nothing', async () => {
    const log = await openLog();
    const good = makeBatch({ count: 2 });
    const bad = makeBatch({ count: 2 });
    bad[bad.length - 1] ^= 0xff;
    await expect(log.append(Buffer.concat([good, bad]), { leaderEpoch: 0 })).rejects.toMatchObject({
      code: 2,
      name: 'CorruptRecordBatchError',
    });
    expect(log.logEndOffset).toBe(0n);
    expect(log.sizeInBytes).toBe(0);
    const wrongMagic = makeBatch();
    wrongMagic[16] = 1;
    await expect(log.append(wrongMagic, { leaderEpoch: 0 })).rejects.toBeInstanceOf(CorruptRecordBatchError);
    await expect(log.append(good.subarray(0, good.length - 3), { leaderEpoch: 0 })).rejects.toMatchObject({
      code: 2,
    });
    await expect(log.append(Buffer.alloc(0), { leaderEpoch: 0 })).rejects.toMatchObject({ code: 2 });
    await log.append(good, { leaderEpoch: 0 });
    expect(log.logEndOffset).toBe(2n);
  });

  it('rejects a batch over max.message.bytes with MESSAGE_TOO_LARGE', async () => {
    const log = await openLog({ maxMessageBytes: 1000 });
    const big = makeBatch({ count: 1, valueBytes: 2000 });
    const error = await log.append(big, { leaderEpoch: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ code: 10, size: big.length, limit: 1000 });
    expect(log.logEndOffset).toBe(0n);
  });

  it('follower appends keep the leader offsets and must continue the log', async () => {
    const log = await openLog();
    const leader = await PartitionLog.open({ dir: join(root, 'leader-0') });
    opened.push(leader);
    const batches = [makeBatch({ count: 3 }), makeBatch({ count: 2 })];
    for (const b of batches) await leader.append(b, { leaderEpoch: 4 });
    const { records } = await leader.read(0n, { maxBytes: 1 << 20 });
    expect(await log.append(Buffer.from(records), { leaderEpoch: 4, assignOffsets: false })).toMatchObject({
      baseOffset: 0n,
      lastOffset: 4n,
    });
    expect(log.epochEntries).toEqual([{ epoch: 4, startOffset: 0n }]);
    const gap = makeBatch({ count: 1 });
    gap.writeBigInt64BE(9n, 0);
    await expect(log.append(gap, { leaderEpoch: 4, assignOffsets: false })).rejects.toBeInstanceOf(
      UnexpectedAppendOffsetError,
    );
    expect(log.logEndOffset).toBe(5n);
  });
});

describe('PartitionLog segments', () => {
  it('rolls by segment.bytes and reads across segments', async () => {
    const log = await openLog({ segmentBytes: 4096 });
    for (let i = 0; i < 40; i++)
      await log.append(makeBatch({ count: 2, valueBytes: 300, seed: i }), { leaderEpoch: 0 });
    const bases = log.segmentBaseOffsets;
    expect(bases.length).toBeGreaterThan(5);
    expect(bases[0]).toBe(0n);
    const files = await readdir(join(root, 'events-0'));
    for (const base of bases) {
      const stem = base.toString().padStart(20, '0');
      expect(files).toContain(`${stem}.log`);
      expect((await stat(join(root, 'events-0', `${stem}.log`))).size).toBeLessThanOrEqual(4096);
    }
    expect(await readAllOffsets(log)).toEqual(range(0, 80));
  });

  it('rolls by segment.ms, measured between batch timestamps', async () => {
    const log = await openLog({ segmentMs: 1000 });
    await log.append(makeBatch({ timestamp: 1_000_000n }), { leaderEpoch: 0 });
    await log.append(makeBatch({ timestamp: 1_000_999n }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets).toEqual([0n]);
    await log.append(makeBatch({ timestamp: 1_001_000n }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets).toEqual([0n, 2n]);
    await log.append(makeBatch({ timestamp: 1_001_500n }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets).toEqual([0n, 2n]);
  });

  it('rolls by segment.ms on the wall clock when batches carry no timestamps', async () => {
    let now = 5_000_000;
    const log = await openLog({ segmentMs: 1000 }, { now: () => now });
    await log.append(makeBatch({ timestamp: -1n, timestampStep: 0n }), { leaderEpoch: 0 });
    now += 999;
    await log.append(makeBatch({ timestamp: -1n, timestampStep: 0n }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets).toEqual([0n]);
    now += 1;
    await log.append(makeBatch({ timestamp: -1n, timestampStep: 0n }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets).toEqual([0n, 2n]);
    await log.append(makeBatch({ timestamp: -1n, timestampStep: 0n }), {
      leaderEpoch: 0,
      appendTimeMs: now + 1000,
    });
    expect(log.segmentBaseOffsets).toEqual([0n, 2n, 3n]);
  });

  it('finds offsets by timestamp, down to the record inside a batch', async () => {
    const log = await openLog({ segmentBytes: 2048, indexIntervalBytes: 300 });
    // 30 batches of 5 records, timestamps 10000 + 10 * offset.
    for (let i = 0; i < 30; i++) {
      await log.append(
        makeBatch({ count: 5, valueBytes: 50, timestamp: BigInt(10_000 + 50 * i), timestampStep: 10n }),
        {
          leaderEpoch: 0,
        },
      );
    }
    expect(log.segmentBaseOffsets.length).toBeGreaterThan(3);
    expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: 10_000n });
    expect(await log.offsetForTimestamp(10_000n)).toEqual({ offset: 0n, timestamp: 10_000n });
    expect(await log.offsetForTimestamp(10_001n)).toEqual({ offset: 1n, timestamp: 10_010n });
    expect(await log.offsetForTimestamp(10_735n)).toEqual({ offset: 74n, timestamp: 10_740n });
    expect(await log.offsetForTimestamp(11_490n)).toEqual({ offset: 149n, timestamp: 11_490n });
    expect(await log.offsetForTimestamp(11_491n)).toBeNull();
    expect(await log.offsetForTimestamp(-2n)).toEqual({ offset: 0n, timestamp: -1n });
    expect(await log.offsetForTimestamp(-1n)).toEqual({ offset: 150n, timestamp: -1n });
    // Every timestamp agrees with a linear search.
    for (let t = 9_990; t <= 11_500; t += 7) {
      const expected = t <= 10_000 ? 0 : Math.ceil((t - 10_000) / 10);
      const found = await log.offsetForTimestamp(BigInt(t));
      expect(found?.offset ?? null).toBe(expected < 150 ? BigInt(expected) : null);
    }
  });

  it('deletes closed segments by retention.ms, keeping the active one', async () => {
    let now = 50_000;
    const log = await openLog({ segmentBytes: 1024, retentionMs: 10_000 }, { now: () => now });
    for (let i = 0; i < 12; i++) {
      await log.append(makeBatch({ count: 1, valueBytes: 400, timestamp: BigInt(1000 * i) }), {
        leaderEpoch: 0,
      });
    }
    const before = log.segmentBaseOffsets;
    expect(before.length).toBeGreaterThan(4);
    // now 50000: every batch (timestamps <= 11000) is older than 10 s, but the active segment stays.
    const result = await log.applyRetention(now);
    expect(log.segmentBaseOffsets).toEqual([before.at(-1)]);
    expect(result).toEqual({ deletedSegments: before.length - 1, logStartOffset: before.at(-1) });
    expect(log.logStartOffset).toBe(before.at(-1));
    await expect(log.read(0n, { maxBytes: 100 })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const files = await readdir(join(root, 'events-0'));
    expect(files.filter((f) => f.endsWith('.log'))).toHaveLength(1);
    now = 0;
  });

  it('deletes by retention.ms only the segments old enough', async () => {
    const log = await openLog({ segmentBytes: 1024, retentionMs: 5000 });
    for (let i = 0; i < 12; i++) {
      await log.append(makeBatch({ count: 1, valueBytes: 400, timestamp: BigInt(1000 * i) }), {
        leaderEpoch: 0,
      });
    }
    // Two batches per segment: segments end at timestamps 1000, 3000, 5000, … ; now = 9000 keeps >= 4000.
    const result = await log.applyRetention(9000);
    expect(result.deletedSegments).toBe(2);
    expect(log.logStartOffset).toBe(4n);
    expect(await readAllOffsets(log)).toEqual(range(4, 12));
  });

  it("keeps closed segments' newest timestamps across a restart (time retention and lookup after reopen)", async () => {
    const config = { segmentBytes: 1024, retentionMs: 5000 };
    const log = await openLog(config);
    for (let i = 0; i < 12; i++) {
      await log.append(makeBatch({ count: 1, valueBytes: 400, timestamp: BigInt(1000 * i) }), {
        leaderEpoch: 0,
      });
    }
    await log.close();
    const reopened = await openLog(config);
    expect(await reopened.offsetForTimestamp(6500n)).toEqual({ offset: 7n, timestamp: 7000n });
    expect((await reopened.applyRetention(9000)).deletedSegments).toBe(2);
    expect(reopened.logStartOffset).toBe(4n);
  });

  it('deletes by retention.bytes, oldest first, keeping the active segment', async () => {
    const log = await openLog({ segmentBytes: 1024, retentionBytes: 2500, retentionMs: -1 });
    for (let i = 0; i < 12; i++)
      await log.append(makeBatch({ count: 1, valueBytes: 400 }), { leaderEpoch: 0 });
    const segmentSize = log.sizeInBytes / log.segmentBaseOffsets.length; // 2 equal batches per segment
    expect(log.segmentBaseOffsets.length).toBe(6);
    // Kafka's rule: delete the oldest segments while what is left stays >= retention.bytes.
    const result = await log.applyRetention();
    expect(result.deletedSegments).toBe(3);
    expect(log.sizeInBytes).toBe(3 * segmentSize);
    expect(log.sizeInBytes - 2500).toBeLessThan(segmentSize);
    expect(log.logStartOffset).toBe(6n);
    expect(await readAllOffsets(log)).toEqual(range(6, 12));
    const tiny = await PartitionLog.open({ dir: join(root, 'tiny-0'), config: { retentionBytes: 0 } });
    opened.push(tiny);
    await tiny.append(makeBatch(), { leaderEpoch: 0 });
    expect((await tiny.applyRetention()).deletedSegments).toBe(0);
  });

  it('moves the log start with deleteRecordsBefore and keeps it across restarts', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    for (let i = 0; i < 10; i++)
      await log.append(makeBatch({ count: 2, valueBytes: 300 }), { leaderEpoch: 0 });
    expect(await log.deleteRecordsBefore(7n)).toBe(7n);
    await expect(log.read(6n, { maxBytes: 10 })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const first = await log.read(7n, { maxBytes: 10 });
    expect(readRecordBatchHeader(first.records).baseOffset).toBe(6n);
    expect(log.segmentBaseOffsets[0]).toBeLessThanOrEqual(6n);
    await log.close();
    const reopened = await openLog({ segmentBytes: 1024 });
    expect(reopened.logStartOffset).toBe(7n);
    expect(reopened.logEndOffset).toBe(20n);
  });

  it('truncates to an offset (followers), across segments, and continues appending from there', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    await log.append(makeBatch({ count: 4 }), { leaderEpoch: 1 });
    for (let i = 0; i < 10; i++)
      await log.append(makeBatch({ count: 2, valueBytes: 300 }), { leaderEpoch: 2 });
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 3 });
    expect(log.epochEntries.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const segmentsBefore = log.segmentBaseOffsets.length;
    expect(await log.truncateTo(24n)).toBe(24n);
    expect(log.epochEntries.map((e) => e.epoch)).toEqual([1, 2]);
    expect(await log.truncateTo(10n)).toBe(10n);
    expect(log.segmentBaseOffsets.length).toBeLessThan(segmentsBefore);
    expect(log.logEndOffset).toBe(10n);
    // Mid-batch: the whole batch holding offset 7 goes.
    expect(await log.truncateTo(7n)).toBe(6n);
    expect(await readAllOffsets(log)).toEqual(range(0, 6));
    expect((await log.append(makeBatch({ count: 3 }), { leaderEpoch: 5 })).baseOffset).toBe(6n);
    expect(await readAllOffsets(log)).toEqual(range(0, 9));
    expect(log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 6n });
    expect(log.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 9n });
    await log.close();
    const reopened = await openLog({ segmentBytes: 1024 });
    expect(await readAllOffsets(reopened)).toEqual(range(0, 9));
    expect(reopened.epochEntries.map((e) => e.epoch)).toEqual([1, 2, 5]);
  });

  it('truncating below the log start empties the log and restarts it there', async () => {
    const log = await openLog();
    for (let i = 0; i < 3; i++) await log.append(makeBatch({ count: 2 }), { leaderEpoch: 0 });
    await log.deleteRecordsBefore(4n);
    expect(await log.truncateTo(2n)).toBe(2n);
    expect(log.logStartOffset).toBe(2n);
    expect(log.logEndOffset).toBe(2n);
    expect((await log.append(makeBatch(), { leaderEpoch: 1 })).baseOffset).toBe(2n);
  });

  it('persists the leader epoch checkpoint as epochs change', async () => {
    const log = await openLog();
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 0 });
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 0 });
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 3 });
    const text = await readFile(join(root, 'events-0', 'leader-epoch-checkpoint'), 'utf8');
    expect(text).toBe('0\n2\n0 0\n3 4\n');
    expect(log.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 4n });
    expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 6n });
  });

  it('serves reads through a handle cache smaller than the segment count', async () => {
    const cache = new SegmentHandleCache(2);
    const log = await openLog({ segmentBytes: 512 }, { handleCache: cache });
    for (let i = 0; i < 30; i++)
      await log.append(makeBatch({ count: 1, valueBytes: 300, seed: i }), { leaderEpoch: 0 });
    expect(log.segmentBaseOffsets.length).toBeGreaterThan(10);
    for (let round = 0; round < 2; round++) {
      expect(await readAllOffsets(log)).toEqual(range(0, 30));
      expect(cache.size).toBeLessThanOrEqual(2);
    }
  });
});

describe('PartitionLog flushing and concurrency', () => {
  it('with flush.messages=1 every append is fsynced before it resolves; concurrent appends get distinct offsets', async () => {
    const log = await openLog({ flushIntervalMessages: 1 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append(makeBatch({ count: 2, seed: i }), { leaderEpoch: 0 })),
    );
    expect(results.map((r) => r.baseOffset)).toEqual(range(0, 50).map((i) => i * 2n));
    expect(log.flushedOffset).toBe(100n);
  });

  it('by default leaves flushing to the OS until flush()', async () => {
    const log = await openLog();
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 0 });
    expect(log.flushedOffset).toBe(0n);
    await log.flush();
    expect(log.flushedOffset).toBe(2n);
  });

  it('flushes on flush.ms', async () => {
    const log = await openLog({ flushIntervalMs: 20 });
    await log.append(makeBatch({ count: 2 }), { leaderEpoch: 0 });
    const deadline = Date.now() + 5000;
    while (log.flushedOffset < 2n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(log.flushedOffset).toBe(2n);
  });

  it('reads running beside appends only ever see whole batches', async () => {
    const log = await openLog({ segmentBytes: 8192 });
    let done = false;
    const writer = (async () => {
      for (let i = 0; i < 200; i++)
        await log.append(makeBatch({ count: 3, valueBytes: 200, seed: i }), { leaderEpoch: 0 });
      done = true;
    })();
    let reads = 0;
    while (!done) {
      const end = log.logEndOffset;
      if (end > 0n) {
        const from = BigInt(Math.floor(Math.random() * Number(end)));
        const { records } = await log.read(from, { maxBytes: 5000 });
        const batches = decodeRecordBatchesSync(records); // checks every CRC
        expect(batches.reduce((n, b) => n + b.header.recordsCount, 0)).toBeGreaterThan(0);
        reads++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(await readAllOffsets(log)).toEqual(range(0, 600));
  });
});

describe('PartitionLog restart and recovery', () => {
  it('reopens after a clean close with the same offsets and trusted indexes', async () => {
    const log = await openLog({ segmentBytes: 2048, indexIntervalBytes: 256 });
    for (let i = 0; i < 30; i++)
      await log.append(makeBatch({ count: 3, valueBytes: 100, seed: i }), { leaderEpoch: 2 });
    const bases = log.segmentBaseOffsets;
    const all = await readAllOffsets(log);
    await log.close();
    const files = await readdir(join(root, 'events-0'));
    expect(files).toContain('clean-shutdown');
    expect(files).toContain('recovery-point');
    const indexSize = (await stat(join(root, 'events-0', '00000000000000000000.index'))).size;
    expect(indexSize).toBeGreaterThan(0);
    const reopened = await openLog({ segmentBytes: 2048, indexIntervalBytes: 256 });
    expect(await readdir(join(root, 'events-0'))).not.toContain('clean-shutdown');
    expect(reopened.segmentBaseOffsets).toEqual(bases);
    expect(reopened.logEndOffset).toBe(90n);
    expect(await readAllOffsets(reopened)).toEqual(all);
    expect((await reopened.append(makeBatch(), { leaderEpoch: 2 })).baseOffset).toBe(90n);
  });

  it('recovers without a clean-shutdown marker and rebuilds indexes', async () => {
    const log = await openLog({ segmentBytes: 2048, indexIntervalBytes: 256 });
    for (let i = 0; i < 30; i++)
      await log.append(makeBatch({ count: 3, valueBytes: 100, seed: i }), { leaderEpoch: 2 });
    await log.close();
    const dir = join(root, 'events-0');
    await import('node:fs/promises').then(async (fs) => {
      await fs.unlink(join(dir, 'clean-shutdown'));
      await fs.unlink(join(dir, 'recovery-point'));
      for (const f of await fs.readdir(dir))
        if (f.endsWith('.index')) await fs.writeFile(join(dir, f), Buffer.alloc(5));
    });
    const reopened = await openLog({ segmentBytes: 2048, indexIntervalBytes: 256 });
    expect(reopened.logEndOffset).toBe(90n);
    expect(await readAllOffsets(reopened)).toEqual(range(0, 90));
    const index = await readFile(join(dir, '00000000000000000000.index'));
    expect(index.length % 8).toBe(0);
    expect(index.length).toBeGreaterThan(0);
  });

  it('cuts a torn tail (partial batch, then garbage) on open and continues the offsets', async () => {
    const log = await openLog();
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = makeBatch({ count: 2, valueBytes: 100, seed: i });
      sizes.push(batch.length);
      await log.append(batch, { leaderEpoch: 0 });
    }
    const fourBatches = sizes.slice(0, 4).reduce((a, b) => a + b, 0);
    // Simulate a crash: no close(); cut the last batch in half and add garbage after it.
    const path = join(root, 'events-0', '00000000000000000000.log');
    const fs = await import('node:fs/promises');
    await fs.truncate(path, fourBatches + 30);
    await fs.appendFile(path, Buffer.alloc(500, 0xab));
    await log.abandon();
    const reopened = await openLog();
    expect(reopened.logEndOffset).toBe(8n);
    expect((await stat(path)).size).toBe(fourBatches);
    expect(await readAllOffsets(reopened)).toEqual(range(0, 8));
    expect((await reopened.append(makeBatch({ count: 2 }), { leaderEpoch: 0 })).baseOffset).toBe(8n);
    expect(await readAllOffsets(reopened)).toEqual(range(0, 10));
  });

  it('cuts at a batch whose CRC does not match, and drops the segments after it', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    for (let i = 0; i < 10; i++)
      await log.append(makeBatch({ count: 1, valueBytes: 300, seed: i }), { leaderEpoch: 0 });
    const bases = log.segmentBaseOffsets;
    expect(bases.length).toBeGreaterThan(2);
    await log.close();
    opened.splice(0);
    const dir = join(root, 'events-0');
    const fs = await import('node:fs/promises');
    await fs.unlink(join(dir, 'clean-shutdown'));
    await fs.writeFile(join(dir, 'recovery-point'), '0\n1\n0\n');
    // Flip a byte inside the first batch of the second segment.
    const second = join(dir, `${bases[1]!.toString().padStart(20, '0')}.log`);
    const bytes = await fs.readFile(second);
    bytes[100] ^= 0x55;
    await fs.writeFile(second, bytes);
    const reopened = await openLog({ segmentBytes: 1024 });
    expect(reopened.logEndOffset).toBe(bases[1]);
    expect(reopened.segmentBaseOffsets).toEqual([bases[0], bases[1]]);
    expect(await readAllOffsets(reopened)).toEqual(range(0, Number(bases[1])));
  });
});
