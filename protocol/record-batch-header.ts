import { CompressionCodec, isCompressionCodec } from './compression-codec.js';
import { crc32c } from './crc32c.js';

export { CompressionCodec } from './compression-codec.js';

/**
 * The fixed 61-byte header of a magic-2 record batch, read without touching the records.
 * The partition log and the produce path use this view: validating a batch needs only the header
 * and one CRC-32C pass; decoding records is for consumers, tools and tests (see record-batch.ts).
 *
 * Layout (Kafka protocol, "Record Batch"):
 *   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 | 17 crc u32 |
 *   21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64 |
 *   43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 | 57 recordsCount i32 | 61 records…
 * batchLength counts the bytes after itself; the CRC covers attributes to the end of the batch, so the
 * broker may stamp baseOffset and partitionLeaderEpoch without recomputing it.
 */

/** baseOffset i64 + batchLength i32: the bytes before batchLength's count starts. */
export const LOG_OVERHEAD = 12;
export const RECORD_BATCH_HEADER_SIZE = 61;
/** Smallest legal batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;
export const RECORD_BATCH_MAGIC = 2;

/** Byte positions inside a batch; exported so writers (record-batch.ts, the log) agree with readers. */
export const RecordBatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
} as const;

/** Where the CRC-32C coverage starts (the attributes field). */
export const CRC_COVERAGE_START = RecordBatchField.attributes;

/** Kafka error code 2, CORRUPT_MESSAGE: what a produce of this batch must be answered with. */
export const CORRUPT_MESSAGE_ERROR_CODE = 2;

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/**
 * A batch (or message set) that cannot be read. Answer a produce with `code` (2, CORRUPT_MESSAGE);
 * a fetch of our own log that hits this means the log itself is damaged.
 */
export class CorruptRecordBatchError extends Error {
  readonly code = CORRUPT_MESSAGE_ERROR_CODE;
  readonly errorName = 'CORRUPT_MESSAGE';
  /** Byte position of the batch inside the buffer being read. */
  readonly position: number;

  constructor(message: string, position: number, options?: { cause?: unknown }) {
    super(`${message} (batch at byte ${position})`, options);
    this.name = 'CorruptRecordBatchError';
    this.position = position;
  }
}

export function readRecordBatchHeader(buf: Buffer, offset = 0): RecordBatchHeader {
  if (offset < 0 || buf.length - offset < RECORD_BATCH_HEADER_SIZE) {
    throw new CorruptRecordBatchError(
      `record batch header needs ${RECORD_BATCH_HEADER_SIZE} bytes, ${Math.max(0, buf.length - offset)} available`,
      offset,
    );
  }
  const magic = buf.readInt8(offset + RecordBatchField.magic);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new CorruptRecordBatchError(`unsupported record batch magic ${magic}, expected 2`, offset);
  }
  const batchLength = buf.readInt32BE(offset + RecordBatchField.batchLength);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordBatchError(
      `batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`,
      offset,
    );
  }
  const recordsCount = buf.readInt32BE(offset + RecordBatchField.recordsCount);
  if (recordsCount < 0) {
    throw new CorruptRecordBatchError(`negative recordsCount ${recordsCount}`, offset);
  }
  return {
    baseOffset: buf.readBigInt64BE(offset + RecordBatchField.baseOffset),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(offset + RecordBatchField.partitionLeaderEpoch),
    magic,
    crc: buf.readUInt32BE(offset + RecordBatchField.crc),
    attributes: buf.readInt16BE(offset + RecordBatchField.attributes),
    lastOffsetDelta: buf.readInt32BE(offset + RecordBatchField.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(offset + RecordBatchField.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(offset + RecordBatchField.maxTimestamp),
    producerId: buf.readBigInt64BE(offset + RecordBatchField.producerId),
    producerEpoch: buf.readInt16BE(offset + RecordBatchField.producerEpoch),
    baseSequence: buf.readInt32BE(offset + RecordBatchField.baseSequence),
    recordsCount,
  };
}

/**
 * Total size (LOG_OVERHEAD + batchLength) of the batch starting at `offset`, or null while fewer than
 * 12 bytes are there. Throws CorruptRecordBatchError if batchLength is below a header's worth, which no
 * batch of any magic-2 writer can have (a partial tail never looks like that: its length is intact).
 */
export function recordBatchSizeAt(buf: Buffer, offset: number): number | null {
  if (buf.length - offset < LOG_OVERHEAD) return null;
  const batchLength = buf.readInt32BE(offset + RecordBatchField.batchLength);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordBatchError(
      `batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`,
      offset,
    );
  }
  return LOG_OVERHEAD + batchLength;
}

/** The CRC-32C that the batch at `offset` should carry (attributes to end of batch). */
export function computeRecordBatchCrc(buf: Buffer, offset = 0): number {
  const size = recordBatchSizeAt(buf, offset);
  if (size === null || buf.length - offset < size || size < RECORD_BATCH_HEADER_SIZE) {
    throw new CorruptRecordBatchError('record batch is truncated', offset);
  }
  return crc32c(buf.subarray(offset + CRC_COVERAGE_START, offset + size));
}

/** True when the stored CRC matches the content. Throws only if the batch is not complete in `buf`. */
export function verifyRecordBatchCrc(buf: Buffer, offset = 0): boolean {
  const expected = computeRecordBatchCrc(buf, offset);
  return buf.readUInt32BE(offset + RecordBatchField.crc) === expected;
}

/**
 * Header + CRC check in one call: the produce path's validation. Throws CorruptRecordBatchError.
 * `skipCrc` for bytes whose CRC the caller has just checked (the leader's record validation).
 */
export function validateRecordBatch(
  buf: Buffer,
  offset = 0,
  options: { skipCrc?: boolean } = {},
): RecordBatchHeader {
  const header = readRecordBatchHeader(buf, offset);
  if (buf.length - offset < LOG_OVERHEAD + header.batchLength) {
    throw new CorruptRecordBatchError(
      `record batch is truncated: ${LOG_OVERHEAD + header.batchLength} bytes declared, ${buf.length - offset} available`,
      offset,
    );
  }
  const actual = options.skipCrc ? header.crc : computeRecordBatchCrc(buf, offset);
  if (actual !== header.crc) {
    throw new CorruptRecordBatchError(
      `record batch CRC mismatch: stored ${header.crc.toString(16)}, computed ${actual.toString(16)}`,
      offset,
    );
  }
  compressionOf(header.attributes, offset);
  return header;
}

/** Outside the CRC: the broker assigns offsets on append without re-checksumming. */
export function stampBaseOffset(buf: Buffer, offset: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, offset + RecordBatchField.baseOffset);
}

/** Outside the CRC: the leader writes its epoch into each batch it appends. */
export function stampPartitionLeaderEpoch(buf: Buffer, offset: number, epoch: number): void {
  buf.writeInt32BE(epoch, offset + RecordBatchField.partitionLeaderEpoch);
}

// Attribute bits (Kafka protocol): 0-2 codec, 3 timestamp type, 4 transactional, 5 control,
// 6 delete horizon (set only by compaction).
const CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** The codec in attribute bits 0-2. Throws CorruptRecordBatchError for ids 5-7 (no such codec). */
export function compressionOf(attributes: number, position = 0): CompressionCodec {
  const id = attributes & CODEC_MASK;
  if (!isCompressionCodec(id)) {
    throw new CorruptRecordBatchError(`unknown compression codec id ${id}`, position);
  }
  return id;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_BIT) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_BIT) !== 0;
}

export function hasDeleteHorizon(attributes: number): boolean {
  return (attributes & DELETE_HORIZON_BIT) !== 0;
}

export function makeAttributes(options: {
  compression?: CompressionCodec;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
}): number {
  return (
    ((options.compression ?? CompressionCodec.None) & CODEC_MASK) |
    (options.timestampType === TimestampType.LogAppendTime ? TIMESTAMP_TYPE_BIT : 0) |
    (options.isTransactional ? TRANSACTIONAL_BIT : 0) |
    (options.isControl ? CONTROL_BIT : 0)
  );
}

export interface RecordBatchSlice {
  /** Byte position of the batch in the buffer. */
  offset: number;
  /** LOG_OVERHEAD + batchLength. */
  size: number;
  header: RecordBatchHeader;
}

/** Where a walk stopped: `validBytes` of whole batches, then `partialTailBytes` of an incomplete one. */
export interface RecordBatchWalkEnd {
  validBytes: number;
  partialTailBytes: number;
}

/**
 * Walks a concatenation of batches (a log segment slice, a fetch response's records), yielding each
 * complete batch's header. Stops before a partial trailing batch, as Kafka clients do with a fetch
 * cut at max bytes; the generator's return value says where. Does not check CRCs (see
 * validateRecordBatch). Throws CorruptRecordBatchError on a batch whose header is unreadable.
 */
export function* recordBatchesIn(buf: Buffer): Generator<RecordBatchSlice, RecordBatchWalkEnd, undefined> {
  let offset = 0;
  while (offset < buf.length) {
    const size = recordBatchSizeAt(buf, offset);
    if (size === null || buf.length - offset < size) break;
    const header = readRecordBatchHeader(buf, offset);
    yield { offset, size, header };
    offset += size;
  }
  return { validBytes: offset, partialTailBytes: buf.length - offset };
}
