import { ProtocolDecodeError } from '../decode-error.js';

/** One entry of a flexible-version tagged-field buffer, undecoded. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

const UUID_BYTES = 16;

/**
 * Sequential reader over a Kafka-encoded buffer. Every read checks the bytes are there first and throws
 * `ProtocolDecodeError` (field name + byte offset) otherwise; lengths read from the wire are validated
 * against `remaining` before anything is allocated, and varints stop after 5 (int) or 10 (long) bytes.
 *
 * Bytes values (`readBytes`, `readRaw`, …) are views into the source buffer, not copies: the hot path
 * (records in Produce/Fetch) must not copy megabytes per request.
 */
export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    end = buffer.length,
  ) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(field: string, reason: string, at = this.offset): never {
    throw new ProtocolDecodeError(reason, field, at);
  }

  private need(n: number, field: string): void {
    if (this.end - this.offset < n) {
      this.fail(field, `needs ${n} bytes, only ${this.end - this.offset} left`);
    }
  }

  readInt8(field = 'int8'): number {
    this.need(1, field);
    return this.buffer.readInt8(this.offset++);
  }

  readUInt8(field = 'uint8'): number {
    this.need(1, field);
    return this.buffer[this.offset++]!;
  }

  readBool(field = 'bool'): boolean {
    this.need(1, field);
    return this.buffer[this.offset++] !== 0;
  }

  readInt16(field = 'int16'): number {
    this.need(2, field);
    const v = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  readUInt16(field = 'uint16'): number {
    this.need(2, field);
    const v = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  readInt32(field = 'int32'): number {
    this.need(4, field);
    const v = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  readUInt32(field = 'uint32'): number {
    this.need(4, field);
    const v = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  readInt64(field = 'int64'): bigint {
    this.need(8, field);
    const v = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  readFloat64(field = 'float64'): number {
    this.need(8, field);
    const v = this.buffer.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes), as used for compact lengths and tags. */
  readUVarint(field = 'uvarint'): number {
    const start = this.offset;
    const buf = this.buffer;
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) this.fail(field, 'truncated varint', start);
      const b = buf[this.offset++]!;
      if (i === 4 && b > 0x0f) this.fail(field, 'varint exceeds 32 bits', start);
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return this.fail(field, 'varint longer than 5 bytes', start);
  }

  /** Zigzag-encoded signed 32-bit varint (record fields, header counts). */
  readVarint(field = 'varint'): number {
    const u = this.readUVarint(field);
    // zigzag: even -> non-negative, odd -> negative; arithmetic keeps full uint32 input exact
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag-encoded signed 64-bit varint (at most 10 bytes), returned as bigint. */
  readVarlong(field = 'varlong'): bigint {
    const start = this.offset;
    const buf = this.buffer;
    // Fast path: up to 7 bytes (49 bits) fits exactly in a double.
    let value = 0;
    for (let i = 0; i < 7; i++) {
      if (this.offset >= this.end) this.fail(field, 'truncated varlong', start);
      const b = buf[this.offset++]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        return BigInt(value % 2 === 0 ? value / 2 : -(value + 1) / 2);
      }
    }
    let big = BigInt(value);
    for (let i = 7; i < 10; i++) {
      if (this.offset >= this.end) this.fail(field, 'truncated varlong', start);
      const b = buf[this.offset++]!;
      if (i === 9 && b > 0x01) this.fail(field, 'varlong exceeds 64 bits', start);
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return (big >> 1n) ^ -(big & 1n);
    }
    return this.fail(field, 'varlong longer than 10 bytes', start);
  }

  /** `n` raw bytes as a view into the source buffer. */
  readRaw(n: number, field = 'bytes'): Buffer {
    if (n < 0) this.fail(field, `negative length ${n}`);
    this.need(n, field);
    const v = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  skip(n: number, field = 'skipped bytes'): void {
    this.need(n, field);
    this.offset += n;
  }

  private utf8(n: number, field: string, start: number): string {
    if (n > this.end - this.offset)
      this.fail(field, `string length ${n} exceeds ${this.remaining} remaining bytes`, start);
    const s = this.buffer.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return s;
  }

  /** int16-length string; -1 (null) is refused. */
  readString(field = 'string'): string {
    const start = this.offset;
    const n = this.readInt16(field);
    if (n < 0) this.fail(field, n === -1 ? 'null for a non-nullable string' : `negative length ${n}`, start);
    return this.utf8(n, field, start);
  }

  readNullableString(field = 'string'): string | null {
    const start = this.offset;
    const n = this.readInt16(field);
    if (n === -1) return null;
    if (n < 0) this.fail(field, `negative length ${n}`, start);
    return this.utf8(n, field, start);
  }

  /** Compact string: uvarint length+1; 0 (null) is refused. */
  readCompactString(field = 'string'): string {
    const start = this.offset;
    const n = this.readUVarint(field);
    if (n === 0) this.fail(field, 'null for a non-nullable compact string', start);
    return this.utf8(n - 1, field, start);
  }

  readCompactNullableString(field = 'string'): string | null {
    const start = this.offset;
    const n = this.readUVarint(field);
    if (n === 0) return null;
    return this.utf8(n - 1, field, start);
  }

  /** int32-length bytes; -1 (null) is refused. */
  readBytes(field = 'bytes'): Buffer {
    const start = this.offset;
    const n = this.readInt32(field);
    if (n < 0) this.fail(field, n === -1 ? 'null for non-nullable bytes' : `negative length ${n}`, start);
    if (n > this.remaining) this.fail(field, `length ${n} exceeds ${this.remaining} remaining bytes`, start);
    return this.readRaw(n, field);
  }

  readNullableBytes(field = 'bytes'): Buffer | null {
    const start = this.offset;
    const n = this.readInt32(field);
    if (n === -1) return null;
    if (n < 0) this.fail(field, `negative length ${n}`, start);
    if (n > this.remaining) this.fail(field, `length ${n} exceeds ${this.remaining} remaining bytes`, start);
    return this.readRaw(n, field);
  }

  readCompactBytes(field = 'bytes'): Buffer {
    const start = this.offset;
    const n = this.readUVarint(field);
    if (n === 0) this.fail(field, 'null for non-nullable compact bytes', start);
    if (n - 1 > this.remaining)
      this.fail(field, `length ${n - 1} exceeds ${this.remaining} remaining bytes`, start);
    return this.readRaw(n - 1, field);
  }

  readCompactNullableBytes(field = 'bytes'): Buffer | null {
    const start = this.offset;
    const n = this.readUVarint(field);
    if (n === 0) return null;
    if (n - 1 > this.remaining)
      this.fail(field, `length ${n - 1} exceeds ${this.remaining} remaining bytes`, start);
    return this.readRaw(n - 1, field);
  }

  /** 16-byte UUID, returned in the canonical 8-4-4-4-12 lowercase hex form. */
  readUuid(field = 'uuid'): string {
    this.need(UUID_BYTES, field);
    const hex = this.buffer.toString('hex', this.offset, this.offset + UUID_BYTES);
    this.offset += UUID_BYTES;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /**
   * int32 element count of a classic array; -1 means null. The count is checked against the bytes left,
   * assuming each element takes at least `minItemSize` bytes, so a forged count cannot make the caller
   * allocate or loop beyond the frame.
   */
  readArrayLength(field = 'array', minItemSize = 1): number {
    const start = this.offset;
    const n = this.readInt32(field);
    if (n < -1) this.fail(field, `negative array length ${n}`, start);
    if (n > 0) this.checkCount(n, minItemSize, field, start);
    return n;
  }

  /** Compact array count (uvarint N+1); returns -1 for null. */
  readCompactArrayLength(field = 'array', minItemSize = 1): number {
    const start = this.offset;
    const n = this.readUVarint(field) - 1;
    if (n > 0) this.checkCount(n, minItemSize, field, start);
    return n;
  }

  private checkCount(n: number, minItemSize: number, field: string, start: number): void {
    const limit = minItemSize > 0 ? Math.floor(this.remaining / minItemSize) : this.remaining;
    if (n > limit) {
      this.fail(field, `array length ${n} cannot fit in ${this.remaining} remaining bytes`, start);
    }
  }

  readArray<T>(readItem: (reader: Reader) => T, field = 'array', minItemSize = 1): T[] {
    const n = this.readArrayLength(field, minItemSize);
    if (n === -1) this.fail(field, 'null for a non-nullable array');
    return this.readItems(n, readItem);
  }

  readNullableArray<T>(readItem: (reader: Reader) => T, field = 'array', minItemSize = 1): T[] | null {
    const n = this.readArrayLength(field, minItemSize);
    return n === -1 ? null : this.readItems(n, readItem);
  }

  readCompactArray<T>(readItem: (reader: Reader) => T, field = 'array', minItemSize = 1): T[] {
    const n = this.readCompactArrayLength(field, minItemSize);
    if (n === -1) this.fail(field, 'null for a non-nullable compact array');
    return this.readItems(n, readItem);
  }

  readCompactNullableArray<T>(readItem: (reader: Reader) => T, field = 'array', minItemSize = 1): T[] | null {
    const n = this.readCompactArrayLength(field, minItemSize);
    return n === -1 ? null : this.readItems(n, readItem);
  }

  private readItems<T>(n: number, readItem: (reader: Reader) => T): T[] {
    const items = new Array<T>(n);
    for (let i = 0; i < n; i++) items[i] = readItem(this);
    return items;
  }

  /** A flexible-version tag buffer: uvarint count, then (uvarint tag, uvarint size, data) each. */
  readTaggedFields(field = 'tagged fields'): TaggedField[] {
    const start = this.offset;
    const count = this.readUVarint(field);
    if (count === 0) return [];
    // each entry takes at least 2 bytes (tag + size)
    if (count > this.remaining / 2) this.fail(field, `tag count ${count} cannot fit`, start);
    const fields: TaggedField[] = [];
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const tagAt = this.offset;
      const tag = this.readUVarint(field);
      if (tag <= previous) this.fail(field, `tag ${tag} out of order or repeated`, tagAt);
      previous = tag;
      const size = this.readUVarint(field);
      fields.push({ tag, data: this.readRaw(size, `${field} (tag ${tag})`) });
    }
    return fields;
  }
}
