import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../../broker/log/partition-log.js';
import { TailCache, TailCacheBudget } from '../../../../broker/log/tail-cache.js';
import { makeBatch, tempDir } from '../../../support/log-test-support.js';

interface Query {
  at: number;
  limitAt: number;
  maxBytes: number;
  minOneBatch: boolean;
}

const queryArb: fc.Arbitrary<Query> = fc.record({
  // Per mille of the log end (fast-check's doubles crowd near 0).
  at: fc.integer({ min: 0, max: 1000 }),
  limitAt: fc.integer({ min: 0, max: 1100 }),
  maxBytes: fc.integer({ min: 0, max: 3000 }),
  minOneBatch: fc.boolean(),
});

describe('TailCache', () => {
  it('answers every read exactly as the file does (same log, reopened with an empty cache)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(600, 4096, 1 << 20),
        fc.array(queryArb, { minLength: 1, maxLength: 15 }),
        async (appends, valueBytes, segmentBytes, queries) => {
          const { dir: root, cleanup } = await tempDir('sluice-tail-cache-');
          const dir = join(root, 'p-0');
          try {
            let log = await PartitionLog.open({ dir, config: { segmentBytes } });
            for (const [i, counts] of appends.entries()) {
              const bytes = Buffer.concat(
                counts.map((count, j) => makeBatch({ count, valueBytes, seed: i * 7 + j })),
              );
              await log.append(bytes, { leaderEpoch: 0 });
            }
            const end = log.logEndOffset;
            const asked = queries.map((q) => ({
              fetchOffset: BigInt(Math.floor((Number(end) * q.at) / 1000)),
              maxOffset: BigInt(Math.floor((Number(end) * q.limitAt) / 1000)),
              maxBytes: q.maxBytes,
              minOneBatch: q.minOneBatch,
            }));
            const fromCache = [];
            for (const q of asked) fromCache.push((await log.read(q.fetchOffset, q)).records);
            await log.close();
            log = await PartitionLog.open({ dir, config: { segmentBytes } });
            try {
              for (const [i, q] of asked.entries()) {
                const fromFile = (await log.read(q.fetchOffset, q)).records;
                expect(fromCache[i]!.equals(fromFile)).toBe(true);
              }
            } finally {
              await log.close();
            }
          } finally {
            await cleanup();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('drops the oldest chunks past its budget and never answers below what it holds', () => {
    const budget = new TailCacheBudget(1000);
    const cache = new TailCache(budget);
    const batch = Buffer.alloc(400, 1);
    for (let i = 0; i < 4; i++) {
      cache.add(batch, i * 400, [
        { position: i * 400, size: 400, baseOffset: BigInt(i), lastOffset: BigInt(i), maxTimestamp: 0n },
      ]);
    }
    expect(budget.usedBytes).toBe(800);
    expect(cache.read(1n, 10n, 10_000, true)).toBeUndefined();
    expect(cache.read(2n, 10n, 10_000, true)?.length).toBe(800);
    cache.clear();
    expect(budget.usedBytes).toBe(0);
    expect(cache.read(3n, 10n, 10_000, true)).toBeUndefined();
  });

  it('lets go of the memory of chunks that left the cache (evicted or cleared)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const budget = new TailCacheBudget(1200);
    const cache = new TailCache(budget);
    const other = new TailCache(budget);
    const refs: Array<WeakRef<ArrayBuffer>> = [];
    const add = (into: TailCache, i: number) => {
      const bytes = Buffer.alloc(400, i); // 400 bytes outside Buffer's shared pool: its own allocation
      refs.push(new WeakRef(bytes.buffer));
      into.add(
        bytes,
        i * 400,
        [{ position: i * 400, size: 400, baseOffset: BigInt(i), lastOffset: BigInt(i), maxTimestamp: 0n }],
        true,
      );
    };
    for (let i = 0; i < 6; i++) add(cache, i); // 0-2 evicted by the budget
    add(other, 0); // evicts 3; 4-5 held
    other.clear(); // cleared, still in the budget's queue
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.map((r) => r.deref() !== undefined)).toEqual([false, false, false, false, true, true, false]);
    expect(cache.read(4n, 10n, 10_000, true)?.length).toBe(800);
  });
});
