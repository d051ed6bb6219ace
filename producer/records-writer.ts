import { CompressionCodec, compress, compressSync } from '../protocol/compression.js';
import {
  CRC_COVERAGE_START,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RECORD_BATCH_MAGIC,
  RecordBatchField,
  makeAttributes,
} from '../protocol/record-batch-header.js';
import { crc32c } from '../protocol/crc32c.js';
import type { RecordHeader } from '../protocol/record-batch.js';

/**
 * The records section of one magic-2 batch, encoded as records arrive (Kafka's record format:
 * length varint | attributes i8 | timestampDelta varlong | offsetDelta varint | key | value | headers,
 * zigzag varints, -1 for null). Encoding on append keeps no per-record objects alive until the batch is
 * sent — the producer's hot path is allocation-light — and `assemble` only adds the 61-byte header.
 */
export class RecordsWriter {
  /** Room for the batch header is kept at the front, so an uncompressed batch is assembled in place. */
  private buf: Buffer;
  private pos = RECORD_BATCH_HEADER_SIZE;
  count = 0;
  maxTimestamp: number;

  constructor(
    readonly baseTimestamp: number,
    initialBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + initialBytes);
    this.maxTimestamp = baseTimestamp;
  }

  get byteLength(): number {
    return this.pos - RECORD_BATCH_HEADER_SIZE;
  }

  append(
    key: Buffer | null,
    value: Buffer | null,
    headers: readonly RecordHeader[] | undefined,
    timestamp: number,
  ): void {
    const timestampDelta = timestamp - this.baseTimestamp;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const offsetDelta = this.count;
    let headerBytes = 0;
    let headerKeys: Buffer[] | undefined;
    if (headers && headers.length > 0) {
      headerKeys = headers.map((h) => Buffer.from(h.key, 'utf8'));
      for (let i = 0; i < headers.length; i++) {
        headerBytes +=
          varintSize(headerKeys[i]!.length) + headerKeys[i]!.length + bytesSize(headers[i]!.value);
      }
    }
    const bodySize =
      1 +
      varintSize(timestampDelta) +
      varintSize(offsetDelta) +
      bytesSize(key) +
      bytesSize(value) +
      varintSize(headers?.length ?? 0) +
      headerBytes;
    this.ensure(varintSize(bodySize) + bodySize);
    this.varint(bodySize);
    this.buf[this.pos++] = 0;
    this.varint(timestampDelta);
    this.varint(offsetDelta);
    this.bytes(key);
    this.bytes(value);
    this.varint(headers?.length ?? 0);
    if (headers && headerKeys) {
      for (let i = 0; i < headers.length; i++) {
        this.bytes(headerKeys[i]!);
        this.bytes(headers[i]!.value);
      }
    }
    this.count++;
  }

  /** The whole batch: header (producer id, epoch, sequence as given) + records, compressed if asked. */
  async assemble(identity: BatchIdentity, codec: CompressionCodec): Promise<Buffer> {
    if (codec === CompressionCodec.None) return this.assembleSync(identity, codec);
    const compressed = await compress(codec, this.buf.subarray(RECORD_BATCH_HEADER_SIZE, this.pos));
    const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(out, RECORD_BATCH_HEADER_SIZE);
    return this.writeHeader(out, identity, codec);
  }

  assembleSync(identity: BatchIdentity, codec: CompressionCodec): Buffer {
    if (codec === CompressionCodec.None)
      return this.writeHeader(this.buf.subarray(0, this.pos), identity, codec);
    const compressed = compressSync(codec, this.buf.subarray(RECORD_BATCH_HEADER_SIZE, this.pos));
    const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(out, RECORD_BATCH_HEADER_SIZE);
    return this.writeHeader(out, identity, codec);
  }

  private writeHeader(out: Buffer, identity: BatchIdentity, codec: CompressionCodec): Buffer {
    out.writeBigInt64BE(0n, RecordBatchField.baseOffset);
    out.writeInt32BE(out.length - LOG_OVERHEAD, RecordBatchField.batchLength);
    out.writeInt32BE(-1, RecordBatchField.partitionLeaderEpoch);
    out.writeInt8(RECORD_BATCH_MAGIC, RecordBatchField.magic);
    out.writeInt16BE(makeAttributes({ compression: codec }), RecordBatchField.attributes);
    out.writeInt32BE(this.count - 1, RecordBatchField.lastOffsetDelta);
    out.writeBigInt64BE(BigInt(this.baseTimestamp), RecordBatchField.baseTimestamp);
    out.writeBigInt64BE(BigInt(this.maxTimestamp), RecordBatchField.maxTimestamp);
    out.writeBigInt64BE(identity.producerId, RecordBatchField.producerId);
    out.writeInt16BE(identity.producerEpoch, RecordBatchField.producerEpoch);
    out.writeInt32BE(identity.baseSequence, RecordBatchField.baseSequence);
    out.writeInt32BE(this.count, RecordBatchField.recordsCount);
    out.writeUInt32BE(crc32c(out.subarray(CRC_COVERAGE_START)), RecordBatchField.crc);
    return out;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Zigzag varint of a safe integer (|v| < 2^52). */
  private varint(v: number): void {
    let u = v >= 0 ? v * 2 : -v * 2 - 1;
    const buf = this.buf;
    while (u >= 0x80) {
      buf[this.pos++] = (u & 0x7f) | 0x80;
      u = Math.floor(u / 128);
    }
    buf[this.pos++] = u;
  }

  private bytes(value: Buffer | null): void {
    if (value === null) {
      this.buf[this.pos++] = 1; // zigzag(-1)
      return;
    }
    this.varint(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }
}

export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

function varintSize(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

function bytesSize(value: Buffer | null): number {
  return value === null ? 1 : varintSize(value.length) + value.length;
}
