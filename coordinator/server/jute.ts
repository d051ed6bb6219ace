/**
 * Jute primitives: the big-endian binary encoding ZooKeeper uses on the wire. Pure: bytes in, bytes out.
 * A `JuteReader` throws `JuteDecodeError` on anything malformed, so callers can refuse a frame without
 * checking every read.
 */

export class JuteDecodeError extends Error {
  override readonly name = 'JuteDecodeError';
}

export class JuteReader {
  private offset: number;

  constructor(
    private readonly buffer: Buffer,
    start = 0,
    private readonly end = buffer.length,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number): number {
    if (bytes < 0 || this.offset + bytes > this.end) {
      throw new JuteDecodeError(
        `need ${bytes} bytes at offset ${this.offset}, have ${this.end - this.offset}`,
      );
    }
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  int(): number {
    return this.buffer.readInt32BE(this.need(4));
  }

  /** A jute long as a JS number; zxids and times stay far below 2^53. */
  long(): number {
    const at = this.need(8);
    // Two 32-bit halves: exact for |value| < 2^53 and no BigInt per field on the hot path.
    return this.buffer.readInt32BE(at) * 0x1_0000_0000 + this.buffer.readUInt32BE(at + 4);
  }

  /** A jute long kept exact (session ids use all 64 bits). */
  bigLong(): bigint {
    return this.buffer.readBigInt64BE(this.need(8));
  }

  bool(): boolean {
    return this.buffer[this.need(1)] !== 0;
  }

  /** A length-prefixed byte buffer; length -1 means null. */
  buffer_(): Buffer | null {
    const length = this.int();
    if (length === -1) return null;
    if (length < -1) throw new JuteDecodeError(`negative buffer length ${length}`);
    const at = this.need(length);
    return Buffer.from(this.buffer.subarray(at, at + length));
  }

  /** A ustring; jute writes null strings as length -1, which we read as ''. */
  string(): string {
    const length = this.int();
    if (length === -1) return '';
    if (length < -1) throw new JuteDecodeError(`negative string length ${length}`);
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  vector<T>(readItem: (reader: JuteReader) => T): T[] | null {
    const count = this.int();
    if (count === -1) return null;
    if (count < -1) throw new JuteDecodeError(`negative vector length ${count}`);
    // Every element takes at least one byte, so a count above the bytes left is garbage.
    if (count > this.remaining) throw new JuteDecodeError(`vector length ${count} exceeds frame`);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(readItem(this));
    return items;
  }
}

export class JuteWriter {
  private buffer: Buffer;
  private offset = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  private ensure(bytes: number): number {
    if (this.offset + bytes > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < this.offset + bytes) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buffer.copy(grown, 0, 0, this.offset);
      this.buffer = grown;
    }
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  int(value: number): this {
    const at = this.ensure(4);
    this.buffer.writeInt32BE(value, at);
    return this;
  }

  long(value: number): this {
    const at = this.ensure(8);
    const high = Math.floor(value / 0x1_0000_0000);
    this.buffer.writeInt32BE(high, at);
    this.buffer.writeUInt32BE(value - high * 0x1_0000_0000, at + 4);
    return this;
  }

  bigLong(value: bigint): this {
    const at = this.ensure(8);
    this.buffer.writeBigInt64BE(BigInt.asIntN(64, value), at);
    return this;
  }

  bool(value: boolean): this {
    const at = this.ensure(1);
    this.buffer[at] = value ? 1 : 0;
    return this;
  }

  buffer_(value: Buffer | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    const at = this.ensure(value.length);
    value.copy(this.buffer, at);
    return this;
  }

  string(value: string | null): this {
    if (value === null) return this.int(-1);
    const length = Buffer.byteLength(value);
    this.int(length);
    const at = this.ensure(length);
    this.buffer.write(value, at, 'utf8');
    return this;
  }

  vector<T>(items: readonly T[] | null, writeItem: (writer: JuteWriter, item: T) => void): this {
    if (items === null) return this.int(-1);
    this.int(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** The bytes written so far. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  /** The bytes written so far behind a 4-byte length prefix; the writer must have been started with `framed()`. */
  frame(): Buffer {
    const bytes = this.buffer.subarray(0, this.offset);
    bytes.writeInt32BE(this.offset - 4, 0);
    return bytes;
  }

  /** A writer whose first 4 bytes are reserved for the frame length filled in by `frame()`. */
  static framed(initialSize = 256): JuteWriter {
    const writer = new JuteWriter(initialSize);
    writer.int(0);
    return writer;
  }
}
