import {
  CompressionCodec,
  decompressSync,
  DecompressionError,
  DecompressionLimitError,
} from './compression.js';
import {
  compressionOf,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchField,
} from './record-batch-header.js';

/**
 * The record walk a leader runs over every produced batch (Kafka's LogValidator + DefaultRecord
 * parsing): the batch's count against its offset range, then each record's length, varints, offset
 * delta (0..n-1), key/value/header sizes inside the record, optionally its timestamp, and nothing left
 * over after the last record. One pass, in place over the Buffer, no per-record objects: uncompressed
 * batches are never copied; compressed ones are decompressed once under a caller-given bound.
 *
 * The CRC and header shape are the caller's to check first (validateRecordBatch): a batch with a
 * damaged CRC is 2 CORRUPT_MESSAGE, not a record error.
 */

/** Kafka error 87 INVALID_RECORD: a batch or record that does not follow the format. */
export const INVALID_RECORD_ERROR_CODE = 87;
/** Kafka error 32 INVALID_TIMESTAMP: a CreateTime timestamp outside message.timestamp.difference.max.ms. */
export const INVALID_TIMESTAMP_ERROR_CODE = 32;
/** Kafka error 2 CORRUPT_MESSAGE: compressed data that does not decompress. */
const CORRUPT_MESSAGE_ERROR_CODE = 2;

/**
 * A batch whose records are refused. `recordIndex` is the record's position in the batch (Produce v8+
 * record_errors' batch_index), or null when the batch as a whole is at fault.
 */
export class InvalidRecordsError extends Error {
  readonly code: number;
  readonly recordIndex: number | null;
  /** Byte position of the batch inside the produce payload. */
  readonly position: number;

  constructor(code: number, message: string, recordIndex: number | null, position: number) {
    super(recordIndex === null ? message : `record ${recordIndex}: ${message}`);
    this.name = 'InvalidRecordsError';
    this.code = code;
    this.recordIndex = recordIndex;
    this.position = position;
  }
}

export interface RecordWalkOptions {
  /** Largest decompressed records section accepted; beyond it, 87 INVALID_RECORD (a compression bomb). */
  maxDecompressedBytes: number;
  /**
   * CreateTime bounds for record timestamps (ms since the epoch), inclusive; null skips the check.
   * A record timestamp of -1 (none) is never checked, as in Kafka.
   */
  timestampRange?: { min: number; max: number } | null;
}

/**
 * Walks the records of the (CRC-checked) batch at `offset` of `buf`. Throws InvalidRecordsError:
 * 87 for a malformed batch or record or a decompressed size beyond the bound, 2 for compressed data
 * that cannot be decoded, 32 for a timestamp out of range.
 */
export function validateBatchRecords(buf: Buffer, offset: number, options: RecordWalkOptions): void {
  const batchEnd = offset + LOG_OVERHEAD + buf.readInt32BE(offset + RecordBatchField.batchLength);
  const count = buf.readInt32BE(offset + RecordBatchField.recordsCount);
  const lastOffsetDelta = buf.readInt32BE(offset + RecordBatchField.lastOffsetDelta);
  // Kafka's LogValidator.validateBatch: a client batch holds at least one record, and exactly as many
  // as its offset range.
  if (lastOffsetDelta < 0) {
    throw batchError(`invalid offset range: lastOffsetDelta ${lastOffsetDelta}`, offset);
  }
  if (count <= 0) throw batchError(`invalid record count ${count}`, offset);
  if (count !== lastOffsetDelta + 1) {
    throw batchError(
      `record count ${count} does not match the offset range of ${lastOffsetDelta + 1} (lastOffsetDelta ${lastOffsetDelta})`,
      offset,
    );
  }
  const codec = compressionOf(buf.readInt16BE(offset + RecordBatchField.attributes), offset);
  let data = buf;
  let start = offset + RECORD_BATCH_HEADER_SIZE;
  let end = batchEnd;
  if (codec !== CompressionCodec.None) {
    data = decompressRecords(codec, buf.subarray(start, end), options.maxDecompressedBytes, offset);
    start = 0;
    end = data.length;
  }
  const range = options.timestampRange ?? null;
  const baseTimestamp = Number(buf.readBigInt64BE(offset + RecordBatchField.baseTimestamp));
  walkRecords(data, start, end, count, baseTimestamp, range, offset);
}

/**
 * The walk reads decompressed records and drops them before the next batch, so the lz4 decoder writes
 * into one reused buffer: growing a fresh output by doubling cost a third of the validation time.
 * Kept only up to SCRATCH_MAX_BYTES; a larger batch allocates its own.
 */
const SCRATCH_MAX_BYTES = 16 * 1024 * 1024;
let scratch: Buffer | undefined;

function decompressRecords(codec: CompressionCodec, body: Buffer, limit: number, position: number): Buffer {
  try {
    const out = decompressSync(codec, body, { maxOutputBytes: limit, scratch });
    if (
      codec === CompressionCodec.Lz4 &&
      out.length > (scratch?.length ?? 0) &&
      out.length <= SCRATCH_MAX_BYTES
    ) {
      scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX_BYTES, 2 ** Math.ceil(Math.log2(out.length))));
    }
    return out;
  } catch (err) {
    if (err instanceof DecompressionLimitError) {
      throw new InvalidRecordsError(
        INVALID_RECORD_ERROR_CODE,
        `decompressed records exceed the limit of ${limit} bytes`,
        null,
        position,
      );
    }
    if (err instanceof DecompressionError) {
      throw new InvalidRecordsError(CORRUPT_MESSAGE_ERROR_CODE, err.message, null, position);
    }
    throw err;
  }
}

function batchError(message: string, position: number): InvalidRecordsError {
  return new InvalidRecordsError(INVALID_RECORD_ERROR_CODE, message, null, position);
}

// ---- the walk ----
// Varints are read by functions that advance `at.pos` (one at.pos object per batch, none per record:
// a module-level `let` measured 2x slower, its every access checked for the temporal dead zone).
// A varint running past `limit` or longer than the format allows yields NaN, which every caller's
// range check rejects.

interface Cursor {
  pos: number;
}

/**
 * Zigzag varint (at most 5 bytes), with Kafka's int32 semantics (ByteUtils.readVarint): bits past 32
 * are dropped. Bit operations only: `2 ** n` or a double accumulator here cost 3x on the produce path.
 */
function readVarint(at: Cursor, buf: Buffer, limit: number): number {
  let p = at.pos;
  if (p >= limit) return NaN;
  let b = buf[p++]!;
  let raw = b & 0x7f;
  if (b >= 0x80) {
    if (p >= limit) return NaN;
    b = buf[p++]!;
    raw |= (b & 0x7f) << 7;
    if (b >= 0x80) {
      if (p >= limit) return NaN;
      b = buf[p++]!;
      raw |= (b & 0x7f) << 14;
      if (b >= 0x80) {
        if (p >= limit) return NaN;
        b = buf[p++]!;
        raw |= (b & 0x7f) << 21;
        if (b >= 0x80) {
          if (p >= limit) return NaN;
          b = buf[p++]!;
          if (b >= 0x80) return NaN;
          raw |= b << 28;
        }
      }
    }
  }
  at.pos = p;
  return (raw >>> 1) ^ -(raw & 1);
}

/** Zigzag varlong (at most 10 bytes), as a double: exact for |v| < 2^53, enough for range checks. */
function readVarlong(at: Cursor, buf: Buffer, limit: number): number {
  let p = at.pos;
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= limit) return NaN;
    const b = buf[p++]!;
    raw += (b & 0x7f) * scale;
    if (b < 0x80) {
      at.pos = p;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    scale *= 128;
  }
  return NaN;
}

/** Smallest record body: attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_BODY = 6;

function walkRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  baseTimestamp: number,
  range: { min: number; max: number } | null,
  position: number,
): void {
  const at: Cursor = { pos: start };
  for (let index = 0; index < count; index++) {
    const length = readVarint(at, buf, end);
    if (!(length >= MIN_RECORD_BODY) || length > end - at.pos) {
      fail(
        index,
        position,
        Number.isNaN(length)
          ? 'unreadable record length'
          : `record length ${length} out of range (${end - at.pos} bytes left in the batch)`,
      );
    }
    const recordEnd = at.pos + length;
    at.pos++; // attributes
    const timestampDelta = readVarlong(at, buf, recordEnd);
    if (Number.isNaN(timestampDelta)) fail(index, position, 'unreadable timestampDelta');
    const offsetDelta = readVarint(at, buf, recordEnd);
    if (offsetDelta !== index) {
      fail(
        index,
        position,
        Number.isNaN(offsetDelta)
          ? 'unreadable offsetDelta'
          : `offsetDelta ${offsetDelta}, expected ${index}`,
      );
    }
    if (!skipBytes(at, buf, recordEnd, true)) fail(index, position, 'key length out of range');
    if (!skipBytes(at, buf, recordEnd, true)) fail(index, position, 'value length out of range');
    const headerCount = readVarint(at, buf, recordEnd);
    if (!(headerCount >= 0) || headerCount > (recordEnd - at.pos) / 2) {
      fail(index, position, `header count ${headerCount} out of range`);
    }
    for (let h = 0; h < headerCount; h++) {
      if (!skipBytes(at, buf, recordEnd, false)) fail(index, position, `header ${h} key length out of range`);
      if (!skipBytes(at, buf, recordEnd, true))
        fail(index, position, `header ${h} value length out of range`);
    }
    if (at.pos !== recordEnd) {
      fail(
        index,
        position,
        `record length ${length} does not match its ${length - (recordEnd - at.pos)} bytes of fields`,
      );
    }
    if (range !== null) {
      const timestamp = baseTimestamp + timestampDelta;
      if (timestamp !== -1 && (timestamp < range.min || timestamp > range.max)) {
        throw new InvalidRecordsError(
          INVALID_TIMESTAMP_ERROR_CODE,
          `timestamp ${timestamp} is out of range [${range.min}, ${range.max}]`,
          index,
          position,
        );
      }
    }
  }
  if (at.pos !== end) {
    throw batchError(`${end - at.pos} bytes left after the ${count} records the batch declares`, position);
  }
}

function fail(index: number, position: number, message: string): never {
  throw new InvalidRecordsError(INVALID_RECORD_ERROR_CODE, message, index, position);
}

/** Skips a varint-length-prefixed field (-1 = null where `nullable`); false when it does not fit. */
function skipBytes(at: Cursor, buf: Buffer, limit: number, nullable: boolean): boolean {
  const length = readVarint(at, buf, limit);
  if (length === -1) return nullable;
  if (!(length >= 0) || length > limit - at.pos) return false;
  at.pos += length;
  return true;
}
