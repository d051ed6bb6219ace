import fc from 'fast-check';
import type { RecordHeader, RecordInput } from '../../protocol/record-batch.js';

/** Bytes that are sometimes empty, sometimes compressible, sometimes random. */
export const bytesArb = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    fc.uint8Array({ maxLength }).map((a) => Buffer.from(a)),
    fc.tuple(fc.nat(maxLength), fc.nat(255)).map(([n, fill]) => Buffer.alloc(n, fill)),
  );

/** A large value now and then, so multi-block lz4/snappy/zstd paths run. */
export const valueArb: fc.Arbitrary<Buffer | null> = fc.oneof(
  { weight: 8, arbitrary: fc.option(bytesArb(300), { nil: null }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 64 * 1024, max: 300 * 1024 }), fc.integer()).map(([n, seed]) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4) b.writeInt32LE((seed ^ (i * 2654435761)) | 0, Math.min(i, n - 4));
      return b;
    }),
  },
);

export const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ maxLength: 16, unit: 'grapheme' }),
  value: fc.option(bytesArb(40), { nil: null }),
});

export const recordArb: fc.Arbitrary<RecordInput & { timestamp: bigint; headers: RecordHeader[] }> =
  fc.record({
    key: fc.option(bytesArb(40), { nil: null }),
    value: valueArb,
    headers: fc.array(headerArb, { maxLength: 4 }),
    timestamp: fc.bigInt({ min: -1n, max: 2n ** 42n }),
  });

export const recordsArb = fc.array(recordArb, { minLength: 1, maxLength: 12 });

/** Expected decode of an encoded input: offsets and timestamps made absolute. */
export function expectedRecords(
  records: Array<RecordInput & { timestamp: bigint; headers: RecordHeader[] }>,
  baseOffset: bigint,
): Array<{
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}> {
  return records.map((r, i) => ({
    offset: baseOffset + BigInt(r.offsetDelta ?? i),
    timestamp: r.timestamp,
    key: r.key,
    value: r.value,
    headers: r.headers,
  }));
}

type Comparable<T> = T extends Buffer
  ? string
  : T extends Array<infer U>
    ? Array<Comparable<U>>
    : T extends object
      ? { [K in keyof T]: Comparable<T[K]> }
      : T;

/**
 * Buffers turned into hex strings: vitest's deep equality walks typed arrays element by element,
 * which makes comparing 300 KiB values take seconds.
 */
export function comparable<T>(value: T): Comparable<T> {
  if (Buffer.isBuffer(value)) return value.toString('hex') as Comparable<T>;
  if (Array.isArray(value)) return value.map(comparable) as Comparable<T>;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)])) as Comparable<T>;
  }
  return value as Comparable<T>;
}
