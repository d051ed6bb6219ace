import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '../../../protocol/decode-error.js';
import { Reader } from '../../../protocol/primitives/reader.js';
import { Writer } from '../../../protocol/primitives/writer.js';

function roundTrip<T>(write: (w: Writer, v: T) => void, read: (r: Reader) => T, value: T): T {
  const w = new Writer(16);
  write(w, value);
  const buf = w.finish();
  const r = new Reader(buf);
  const out = read(r);
  expect(r.remaining).toBe(0);
  return out;
}

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

describe('Reader/Writer primitives', () => {
  it('round-trip fixed-width integers, floats and bools', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -32768, max: 32767 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        int64,
        fc.double({ noNaN: true }),
        fc.boolean(),
        (i8, i16, i32, u32, i64, f64, b) => {
          const w = new Writer(4);
          w.writeInt8(i8).writeInt16(i16).writeInt32(i32).writeUInt32(u32).writeInt64(i64).writeFloat64(f64);
          w.writeBool(b);
          const r = new Reader(w.finish());
          expect(r.readInt8()).toBe(i8);
          expect(r.readInt16()).toBe(i16);
          expect(r.readInt32()).toBe(i32);
          expect(r.readUInt32()).toBe(u32);
          expect(r.readInt64()).toBe(i64);
          expect(r.readFloat64()).toBe(f64);
          expect(r.readBool()).toBe(b);
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });

  it('round-trip unsigned varints, zigzag varints and varlongs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => {
        expect(
          roundTrip(
            (w, x) => w.writeUVarint(x),
            (r) => r.readUVarint(),
            v,
          ),
        ).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        expect(
          roundTrip(
            (w, x) => w.writeVarint(x),
            (r) => r.readVarint(),
            v,
          ),
        ).toBe(v);
      }),
    );
    fc.assert(
      fc.property(int64, (v) => {
        expect(
          roundTrip(
            (w, x) => w.writeVarlong(x),
            (r) => r.readVarlong(),
            v,
          ),
        ).toBe(v);
      }),
    );
    for (const v of [0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 48n, -(2n ** 48n), 2n ** 49n]) {
      expect(
        roundTrip(
          (w, x) => w.writeVarlong(x),
          (r) => r.readVarlong(),
          v,
        ),
      ).toBe(v);
    }
  });

  it('encodes zigzag varints like the Kafka spec examples', () => {
    const enc = (v: number) => [...new Writer().writeVarint(v).finish()];
    expect(enc(0)).toEqual([0]);
    expect(enc(-1)).toEqual([1]);
    expect(enc(1)).toEqual([2]);
    expect(enc(-64)).toEqual([0x7f]);
    expect(enc(64)).toEqual([0x80, 0x01]);
    expect([...new Writer().writeUVarint(300).finish()]).toEqual([0xac, 0x02]);
  });

  it('round-trip strings, bytes and UUIDs in classic and compact forms', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uuid(),
        (s, b, u) => {
          const bytes = Buffer.from(b);
          const w = new Writer(8);
          w.writeString(s).writeNullableString(null).writeCompactString(s).writeCompactNullableString(null);
          w.writeBytes(bytes)
            .writeNullableBytes(null)
            .writeCompactBytes(bytes)
            .writeCompactNullableBytes(null);
          w.writeUuid(u);
          const r = new Reader(w.finish());
          expect(r.readString()).toBe(s);
          expect(r.readNullableString()).toBeNull();
          expect(r.readCompactString()).toBe(s);
          expect(r.readCompactNullableString()).toBeNull();
          expect(r.readBytes()).toEqual(bytes);
          expect(r.readNullableBytes()).toBeNull();
          expect(r.readCompactBytes()).toEqual(bytes);
          expect(r.readCompactNullableBytes()).toBeNull();
          expect(r.readUuid()).toBe(u.toLowerCase());
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });

  it('round-trip arrays and tagged fields', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 20 }), (xs) => {
        const w = new Writer();
        w.writeArray(xs, (ww, x) => ww.writeInt32(x));
        w.writeCompactArray(xs, (ww, x) => ww.writeInt32(x));
        w.writeNullableArray(null, (ww, x: number) => ww.writeInt32(x));
        w.writeCompactNullableArray(null, (ww, x: number) => ww.writeInt32(x));
        w.writeTaggedFields([
          { tag: 0, data: Buffer.from([1, 2]) },
          { tag: 7, data: Buffer.alloc(0) },
        ]);
        const r = new Reader(w.finish());
        expect(r.readArray((rr) => rr.readInt32(), 'a', 4)).toEqual(xs);
        expect(r.readCompactArray((rr) => rr.readInt32(), 'a', 4)).toEqual(xs);
        expect(r.readNullableArray((rr) => rr.readInt32())).toBeNull();
        expect(r.readCompactNullableArray((rr) => rr.readInt32())).toBeNull();
        const tags = r.readTaggedFields();
        expect(tags.map((t) => t.tag)).toEqual([0, 7]);
        expect([...tags[0]!.data]).toEqual([1, 2]);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('grows the writer buffer as needed', () => {
    const w = new Writer(16);
    const big = Buffer.alloc(100_000, 7);
    w.writeInt8(1).writeBytes(big).writeInt8(2);
    const out = w.finish();
    expect(out.length).toBe(1 + 4 + 100_000 + 1);
    expect(out[out.length - 1]).toBe(2);
  });
});

describe('Reader rejects bad bytes with ProtocolDecodeError', () => {
  function decodeError(fn: () => unknown): ProtocolDecodeError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolDecodeError);
      return e as ProtocolDecodeError;
    }
    throw new Error('expected a ProtocolDecodeError');
  }

  it('names the field and offset on truncation', () => {
    const r = new Reader(Buffer.from([0, 0, 0]));
    r.readInt8();
    const e = decodeError(() => r.readInt32('partitionIndex'));
    expect(e.field).toBe('partitionIndex');
    expect(e.offset).toBe(1);
    expect(e.message).toContain('partitionIndex');
  });

  it('caps varints at 5 bytes and varlongs at 10 bytes', () => {
    expect(decodeError(() => new Reader(Buffer.alloc(6, 0xff)).readUVarint()).reason).toMatch(
      /32 bits|5 bytes/,
    );
    expect(
      decodeError(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10])).readUVarint()).reason,
    ).toMatch(/32 bits/);
    expect(decodeError(() => new Reader(Buffer.alloc(11, 0xff)).readVarlong()).reason).toMatch(
      /64 bits|10 bytes/,
    );
    expect(decodeError(() => new Reader(Buffer.from([0x80])).readUVarint()).reason).toMatch(/truncated/);
  });

  it('refuses lengths larger than the remaining bytes before allocating', () => {
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    expect(decodeError(() => new Reader(huge).readArrayLength('topics')).reason).toMatch(/cannot fit/);
    expect(decodeError(() => new Reader(huge).readBytes()).reason).toMatch(/exceeds/);
    expect(decodeError(() => new Reader(Buffer.from([0x7f, 0xff])).readString()).reason).toMatch(/exceeds/);
    const compact = new Writer().writeUVarint(2 ** 32 - 1).finish();
    expect(decodeError(() => new Reader(compact).readCompactArrayLength()).reason).toMatch(/cannot fit/);
    expect(decodeError(() => new Reader(compact).readCompactString()).reason).toMatch(/exceeds/);
  });

  it('refuses null where the type is not nullable', () => {
    expect(decodeError(() => new Reader(Buffer.from([0xff, 0xff])).readString()).reason).toMatch(/null/);
    expect(decodeError(() => new Reader(Buffer.from([0])).readCompactString()).reason).toMatch(/null/);
    expect(decodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])).readBytes()).reason).toMatch(
      /null/,
    );
    expect(
      decodeError(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xfe])).readNullableBytes()).reason,
    ).toMatch(/negative/);
  });

  it('refuses out-of-order tags', () => {
    const w = new Writer().writeUVarint(2).writeUVarint(3).writeUVarint(0).writeUVarint(1).writeUVarint(0);
    expect(decodeError(() => new Reader(w.finish()).readTaggedFields()).reason).toMatch(/order/);
  });
});
