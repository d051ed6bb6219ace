import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../../broker/log/partition-log.js';
import type { LogConfig } from '../../../../broker/log/log-config.js';
import { OffsetOutOfRangeError } from '../../../../broker/log/log-errors.js';
import { readRecordBatchHeader, recordBatchesIn } from '../../../../protocol/record-batch-header.js';
import { makeBatch, tempDir } from '../../../support/log-test-support.js';

/**
 * Random sequences of appends, reads, truncations, log-start moves and (clean or crash) reopens,
 * checked against a model that is just the list of batches written. Runs under several segment and
 * index configurations, since rolls and sparse index entries are where offsets go wrong.
 */

interface ModelBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
}

class Model {
  batches: ModelBatch[] = [];
  start = 0n;
  get end(): bigint {
    return this.batches.at(-1) ? this.batches.at(-1)!.lastOffset + 1n : this.emptyEnd;
  }
  emptyEnd = 0n;
  /** Index of the batch holding `offset`. */
  holding(offset: bigint): number {
    return this.batches.findIndex((b) => b.lastOffset >= offset);
  }
}

type Op =
  | { kind: 'append'; counts: number[]; valueBytes: number; seed: number }
  | { kind: 'read'; at: number; maxBytes: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'deleteBefore'; at: number }
  | { kind: 'reopen'; clean: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      counts: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
      valueBytes: fc.integer({ min: 0, max: 400 }),
      seed: fc.nat(),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      at: fc.double({ min: 0, max: 1.2, noNaN: true }),
      maxBytes: fc.integer({ min: 1, max: 5000 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('deleteBefore' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean() }), weight: 1 },
);

const configArb: fc.Arbitrary<Partial<LogConfig>> = fc.record({
  segmentBytes: fc.constantFrom(300, 1024, 4096, 1 << 20),
  indexIntervalBytes: fc.constantFrom(1, 100, 4096),
});

function pick(model: Model, fraction: number): bigint {
  const span = model.end - model.start;
  return model.start + BigInt(Math.floor(Number(span) * fraction));
}

async function checkFullScan(log: PartitionLog, model: Model): Promise<void> {
  expect(log.logStartOffset).toBe(model.start);
  expect(log.logEndOffset).toBe(model.end);
  const parts: Buffer[] = [];
  let next = model.start;
  while (next < model.end) {
    const { records } = await log.read(next, { maxBytes: 1 << 20 });
    expect(records.length).toBeGreaterThan(0);
    parts.push(records);
    for (const b of recordBatchesIn(records))
      next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
  }
  const first = model.holding(model.start);
  const expected = first < 0 ? [] : model.batches.slice(first).map((b) => b.bytes);
  expect(Buffer.concat(parts).equals(Buffer.concat(expected))).toBe(true);
}

async function run(config: Partial<LogConfig>, ops: Op[]): Promise<void> {
  const { dir: root, cleanup } = await tempDir('sluice-log-prop-');
  const dir = join(root, 'p-0');
  const model = new Model();
  let log = await PartitionLog.open({ dir, config });
  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'append': {
          const batches = op.counts.map((count, i) =>
            makeBatch({ count, valueBytes: op.valueBytes, seed: op.seed + i }),
          );
          const bytes = Buffer.concat(batches);
          const result = await log.append(bytes, { leaderEpoch: 0 });
          expect(result.baseOffset).toBe(model.end);
          for (const slice of recordBatchesIn(bytes)) {
            const { header } = slice;
            model.batches.push({
              baseOffset: header.baseOffset,
              lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
              bytes: Buffer.from(bytes.subarray(slice.offset, slice.offset + slice.size)),
            });
          }
          expect(result.lastOffset).toBe(model.end - 1n);
          break;
        }
        case 'read': {
          const offset = model.start + BigInt(Math.floor(Number(model.end - model.start + 1n) * op.at));
          if (offset > model.end) {
            await expect(log.read(offset, { maxBytes: op.maxBytes })).rejects.toBeInstanceOf(
              OffsetOutOfRangeError,
            );
            break;
          }
          const { records } = await log.read(offset, { maxBytes: op.maxBytes });
          if (offset === model.end) {
            expect(records.length).toBe(0);
            break;
          }
          const slices = [...recordBatchesIn(records)];
          expect(slices.length).toBeGreaterThan(0);
          if (slices.length > 1) expect(records.length).toBeLessThanOrEqual(op.maxBytes);
          const first = model.holding(offset);
          const expected = Buffer.concat(
            model.batches.slice(first, first + slices.length).map((b) => b.bytes),
          );
          expect(records.equals(expected)).toBe(true);
          break;
        }
        case 'truncate': {
          const offset = pick(model, op.at);
          const newEnd = await log.truncateTo(offset);
          if (offset < model.end) {
            const cut = model.holding(offset);
            const cutBase = model.batches[cut]!.baseOffset;
            model.batches = model.batches.slice(0, cut);
            model.emptyEnd = cutBase;
            if (cutBase < model.start) model.start = cutBase;
          }
          expect(newEnd).toBe(model.end);
          break;
        }
        case 'deleteBefore': {
          const offset = pick(model, op.at);
          await log.deleteRecordsBefore(offset);
          if (offset > model.start) model.start = offset;
          break;
        }
        case 'reopen': {
          // A crash is approximated by abandoning the log (no flush, no marker); the integration
          // suite kills a real process.
          if (op.clean) await log.close();
          else await log.abandon();
          log = await PartitionLog.open({ dir, config });
          break;
        }
      }
      if (model.batches.length === 0 && model.end !== log.logEndOffset) model.emptyEnd = log.logEndOffset;
    }
    await checkFullScan(log, model);
    await log.close();
    log = await PartitionLog.open({ dir, config });
    await checkFullScan(log, model);
    if (model.batches.length > 0) {
      const last = model.batches.at(-1)!;
      expect(readRecordBatchHeader(last.bytes).baseOffset).toBe(last.baseOffset);
    }
  } finally {
    await log.close().catch(() => undefined);
    await cleanup();
  }
}

describe('PartitionLog against a model', () => {
  it('agrees on random append/read/roll/truncate/reopen sequences', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), (config, ops) =>
        run(config, ops),
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
