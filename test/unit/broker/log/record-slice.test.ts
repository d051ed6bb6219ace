import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../../broker/log/partition-log.js';
import { SLICE_PIECE_BYTES } from '../../../../broker/log/record-slice.js';
import type { TailCacheUse } from '../../../../broker/log/tail-cache.js';
import { recordBatchSizeAt } from '../../../../protocol/record-batch-header.js';
import { makeBatch, tempDir } from '../../../support/log-test-support.js';

/**
 * PartitionLog.slice sizes a read from batch headers before reading; streamed in pieces it must give
 * exactly the bytes of whole batches a read gives (the Fetch response is byte-identical), from the
 * file and from the tail cache.
 */

let root: string;
let cleanup: () => Promise<void>;
let log: PartitionLog | undefined;

beforeEach(async () => ({ dir: root, cleanup } = await tempDir()));
afterEach(async () => {
  await log?.close();
  log = undefined;
  await cleanup();
});

async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const piece of pieces) out.push(piece);
  return out;
}

/** Whole batches from batch `first` on within `maxBytes` (the first alone when larger). */
function expected(batches: Buffer[], first: number, maxBytes: number): Buffer {
  const taken: Buffer[] = [];
  let total = 0;
  for (let i = first; i < batches.length; i++) {
    if (total + batches[i]!.length > maxBytes && taken.length > 0) break;
    taken.push(batches[i]!);
    total += batches[i]!.length;
    if (total > maxBytes) break;
  }
  return Buffer.concat(taken);
}

describe.each<TailCacheUse>(['skip', 'copy'])('PartitionLog.slice (tail cache: %s)', (tailCache) => {
  it('streams exactly the whole batches a read returns, in bounded pieces', async () => {
    // A small index interval so the header scan near the cut starts from an index entry.
    log = await PartitionLog.open({
      dir: join(root, 't-0'),
      config: { indexIntervalBytes: 1024, maxMessageBytes: 8 * 1024 * 1024 },
    });
    const sizes = [10, 300, 2_000, 5, 1_500_000, 40, 700, 2_500_000, 90, 64];
    for (const [i, valueBytes] of sizes.entries()) {
      await log.append(makeBatch({ count: 2, valueBytes, seed: i }), { leaderEpoch: 0, tailCache });
    }
    const all = (await log.read(0n, { maxBytes: 64 * 1024 * 1024 })).records;
    const batches: Buffer[] = [];
    for (let at = 0; at < all.length;) {
      const size = recordBatchSizeAt(all, at)!;
      batches.push(all.subarray(at, at + size));
      at += size;
    }
    expect(batches).toHaveLength(sizes.length);
    for (let first = 0; first < batches.length; first++) {
      for (const maxBytes of [0, 100, 3_000, 1_600_000, 3_100_000, 10_000_000]) {
        const want = expected(batches, first, maxBytes);
        const { records } = await log.slice(BigInt(first * 2), { maxBytes });
        expect(records.length).toBe(want.length);
        const pieces = await collect(records.pieces());
        // File reads come in bounded pieces; the tail cache's are views of memory it already holds.
        if (tailCache === 'skip') expect(pieces.every((p) => p.length <= SLICE_PIECE_BYTES)).toBe(true);
        expect(Buffer.concat(pieces).equals(want)).toBe(true);
        expect((await log.read(BigInt(first * 2), { maxBytes })).records.equals(want)).toBe(true);
      }
    }
  });
});
