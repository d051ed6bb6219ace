import { ProtocolEncodeError } from '../decode-error.js';
import type { TaggedField } from './reader.js';
import { StreamedBytes, type FramePiece } from './streamed-bytes.js';

const UUID_PATTERN = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Buffers at least this large are referenced by `writeRawRef` instead of copied. */
export const ZERO_COPY_MIN_BYTES = 64 * 1024;

/**
 * Growable big-endian writer for the Kafka wire format. `finish()` returns a view of the written bytes
 * (no copy unless `writeRawRef` referenced external buffers); the writer must not be reused afterwards.
 *
 * `writeRawRef` lets big payloads (record sets) be referenced rather than copied; `finishChunks()` then
 * returns the pieces for a vectored socket write.
 */
export class Writer {
  private buf: Buffer;
  /** Write position inside the current internal buffer. */
  offset = 0;
  /** Completed pieces when external buffers were referenced; empty otherwise. */
  private chunks: FramePiece[] = [];
  private chunkedBytes = 0;
  /** Start (in `buf`) of the internal bytes not yet moved into `chunks`. */
  private chunkStart = 0;
  /** Whether chunks[0] is a segment of an internal buffer starting at position 0. */
  private firstChunkInternal = false;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.offset + n;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  /** Total bytes written so far, including referenced external buffers. */
  get length(): number {
    return this.chunkedBytes + this.offset - this.chunkStart;
  }

  finish(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.offset);
    return Buffer.concat(this.finishChunks(), this.length);
  }

  /** The written bytes as a list of pieces (internal segments and referenced buffers), in order. */
  finishChunks(): Buffer[] {
    const pieces = this.finishPieces();
    if (pieces.some((piece) => piece instanceof StreamedBytes)) {
      throw new ProtocolEncodeError('streamed bytes cannot be joined in memory', 'records');
    }
    return pieces as Buffer[];
  }

  /** Like `finishChunks`, keeping referenced StreamedBytes as they are (the sender streams them). */
  finishPieces(): FramePiece[] {
    if (this.chunks.length === 0) return [this.buf.subarray(0, this.offset)];
    const tail = this.buf.subarray(this.chunkStart, this.offset);
    return tail.length > 0 ? [...this.chunks, tail] : [...this.chunks];
  }

  /** Like `writeRaw`, but large buffers are referenced, not copied: do not mutate `b` until sent. */
  writeRawRef(b: Buffer | StreamedBytes): this {
    if (Buffer.isBuffer(b) && b.length < ZERO_COPY_MIN_BYTES) return this.writeRaw(b);
    if (b.length === 0) return this; // nothing to stream (an empty record set)
    if (this.chunks.length === 0) this.firstChunkInternal = this.offset > 0;
    if (this.offset > this.chunkStart) {
      const segment = this.buf.subarray(this.chunkStart, this.offset);
      this.chunks.push(segment);
      this.chunkedBytes += segment.length;
    }
    this.chunks.push(b);
    this.chunkedBytes += b.length;
    this.chunkStart = this.offset;
    return this;
  }

  writeInt8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.offset);
    this.offset += 1;
    return this;
  }

  writeUInt8(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  writeBool(v: boolean): this {
    this.ensure(1);
    this.buf[this.offset++] = v ? 1 : 0;
    return this;
  }

  writeInt16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }

  writeUInt16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }

  writeInt32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  writeUInt32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  writeInt64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
    return this;
  }

  writeFloat64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
    return this;
  }

  /** Unsigned LEB128 varint for 0 ≤ v < 2^32. */
  writeUVarint(v: number): this {
    if (!(v >= 0 && v <= 0xffffffff) || !Number.isInteger(v)) {
      throw new ProtocolEncodeError(`${v} is not an unsigned 32-bit integer`, 'uvarint');
    }
    this.ensure(5);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.offset++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.offset++] = v;
    return this;
  }

  /** Zigzag varint for a signed 32-bit integer. */
  writeVarint(v: number): this {
    if (!(v >= -0x80000000 && v <= 0x7fffffff) || !Number.isInteger(v)) {
      throw new ProtocolEncodeError(`${v} is not a signed 32-bit integer`, 'varint');
    }
    return this.writeUVarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Zigzag varlong for a signed 64-bit integer. */
  writeVarlong(v: bigint): this {
    if (v > -(2n ** 48n) && v < 2n ** 48n) {
      // fast path: the zigzag value stays below 2^49, exact in a double
      const n = Number(v);
      let u = n >= 0 ? n * 2 : -n * 2 - 1;
      this.ensure(10);
      const buf = this.buf;
      while (u >= 0x80) {
        buf[this.offset++] = (u % 128) | 0x80;
        u = Math.floor(u / 128);
      }
      buf[this.offset++] = u;
      return this;
    }
    if (v < INT64_MIN || v > INT64_MAX)
      throw new ProtocolEncodeError(`${v} is not a signed 64-bit integer`, 'varlong');
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.offset++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.offset++] = Number(u);
    return this;
  }

  writeRaw(b: Buffer | Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  private writeUtf8(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.offset, len, 'utf8');
    this.offset += len;
  }

  writeString(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new ProtocolEncodeError(`string of ${len} bytes exceeds int16 length`, 'string');
    this.writeInt16(len);
    this.writeUtf8(s, len);
    return this;
  }

  writeNullableString(s: string | null | undefined): this {
    if (s == null) return this.writeInt16(-1);
    return this.writeString(s);
  }

  writeCompactString(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    this.writeUVarint(len + 1);
    this.writeUtf8(s, len);
    return this;
  }

  writeCompactNullableString(s: string | null | undefined): this {
    if (s == null) return this.writeUVarint(0);
    return this.writeCompactString(s);
  }

  writeBytes(b: Buffer | Uint8Array): this {
    this.writeInt32(b.length);
    return this.writeRaw(b);
  }

  writeNullableBytes(b: Buffer | Uint8Array | null | undefined): this {
    if (b == null) return this.writeInt32(-1);
    return this.writeBytes(b);
  }

  writeCompactBytes(b: Buffer | Uint8Array): this {
    this.writeUVarint(b.length + 1);
    return this.writeRaw(b);
  }

  writeCompactNullableBytes(b: Buffer | Uint8Array | null | undefined): this {
    if (b == null) return this.writeUVarint(0);
    return this.writeCompactBytes(b);
  }

  /** Accepts the 8-4-4-4-12 hex form (dashes optional). */
  writeUuid(uuid: string): this {
    if (!UUID_PATTERN.test(uuid))
      throw new ProtocolEncodeError(`${JSON.stringify(uuid)} is not a UUID`, 'uuid');
    this.ensure(16);
    this.buf.write(uuid.replace(/-/g, ''), this.offset, 16, 'hex');
    this.offset += 16;
    return this;
  }

  /** Classic array count; null is written as -1. */
  writeArrayLength(n: number | null): this {
    return this.writeInt32(n ?? -1);
  }

  /** Compact array count (N+1); null is written as 0. */
  writeCompactArrayLength(n: number | null): this {
    return this.writeUVarint(n === null ? 0 : n + 1);
  }

  writeArray<T>(items: readonly T[], writeItem: (writer: Writer, item: T) => void): this {
    this.writeInt32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  writeNullableArray<T>(
    items: readonly T[] | null | undefined,
    writeItem: (writer: Writer, item: T) => void,
  ): this {
    if (items == null) return this.writeInt32(-1);
    return this.writeArray(items, writeItem);
  }

  writeCompactArray<T>(items: readonly T[], writeItem: (writer: Writer, item: T) => void): this {
    this.writeUVarint(items.length + 1);
    for (const item of items) writeItem(this, item);
    return this;
  }

  writeCompactNullableArray<T>(
    items: readonly T[] | null | undefined,
    writeItem: (writer: Writer, item: T) => void,
  ): this {
    if (items == null) return this.writeUVarint(0);
    return this.writeCompactArray(items, writeItem);
  }

  /** Writes a tag buffer; `fields` must be sorted by ascending tag. */
  writeTaggedFields(fields: readonly TaggedField[] = []): this {
    this.writeUVarint(fields.length);
    for (const { tag, data } of fields) {
      this.writeUVarint(tag);
      this.writeUVarint(data.length);
      this.writeRaw(data);
    }
    return this;
  }

  /** Reserves an int32 slot (e.g. a size prefix) to fill in later with `setInt32At`. */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.offset;
    this.offset += 4;
    return at;
  }

  setInt32At(at: number, v: number): this {
    this.buf.writeInt32BE(v, at);
    // Once pieces were split off, the slot may live in the first piece (a view of an older buffer).
    // (writing both is harmless when they share memory)
    const first = this.chunks[0];
    if (Buffer.isBuffer(first) && this.firstChunkInternal && at + 4 <= first.length)
      first.writeInt32BE(v, at);
    return this;
  }
}
