import { crc32 } from '@node-rs/crc32';
import { CompressionCodec, decompress, DecompressionError, type DecompressOptions } from './compression.js';
import { ErrorCode } from './errors.js';
import { encodeRecordBatch } from './record-batch.js';
import { LOG_OVERHEAD, TimestampType } from './record-batch-header.js';

/**
 * Legacy message sets (message format magic 0 and 1), which Produce v0-2 carry, and their
 * up-conversion to one magic-2 record batch (what Kafka's LogValidator does when the log's format is
 * v2). A message set is a concatenation of
 *   offset i64 | message_size i32 | crc u32 | magic i8 | attributes i8 | [timestamp i64, magic 1] |
 *   key (i32 length, -1 = null) | value (i32 length, -1 = null)
 * where the CRC (CRC-32, IEEE) covers magic to the end of the value. Attribute bits 0-2 are the codec
 * and bit 3 (magic 1) the timestamp type. A compressed message ("wrapper") holds, as its value, a
 * whole inner message set compressed with its codec (gzip; snappy raw or xerial-framed; LZ4 frames,
 * whose magic-0 header checksum Kafka computes wrongly: our LZ4 reader ignores it either way).
 */

/** Smallest message: crc, magic, attributes, key length, value length. */
const MESSAGE_OVERHEAD_V0 = 4 + 1 + 1 + 4 + 4;
const TIMESTAMP_SIZE = 8;
const CODEC_MASK = 0x07;
const LOG_APPEND_TIME_BIT = 0x08;
const NO_TIMESTAMP = -1n;

/** One message of a legacy message set, as sent (the offset is the producer's, never used). */
export interface LegacyMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  /** The message's own timestamp; -1 (no timestamp) for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * A message set that cannot be appended, with Kafka's answer: 2 CORRUPT_MESSAGE (bad size, CRC,
 * magic, truncation, undecodable compressed data), 87 INVALID_RECORD (well-formed but not allowed:
 * mixed magics, several wrappers, nested compression, an empty or null wrapper), 76
 * UNSUPPORTED_COMPRESSION_TYPE (zstd, which needs magic 2).
 */
export class LegacyMessageSetError extends Error {
  readonly code: number;
  /** Byte position of the offending message inside the buffer being read. */
  readonly position: number;

  constructor(code: number, message: string, position: number, options?: { cause?: unknown }) {
    super(`${message} (message at byte ${position})`, options);
    this.name = 'LegacyMessageSetError';
    this.code = code;
    this.position = position;
  }
}

function corrupt(message: string, position: number): LegacyMessageSetError {
  return new LegacyMessageSetError(ErrorCode.CORRUPT_MESSAGE, message, position);
}

function invalid(message: string, position: number): LegacyMessageSetError {
  return new LegacyMessageSetError(ErrorCode.INVALID_RECORD, message, position);
}

/**
 * Every message of a legacy message set (not looking inside compressed ones), each checked: size,
 * magic 0 or 1, CRC, key and value lengths filling the message exactly. A partial trailing message is
 * refused: a producer never sends one. Keys and values are views into `buf`.
 */
export function readLegacyMessages(buf: Buffer): LegacyMessage[] {
  const messages: LegacyMessage[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < LOG_OVERHEAD) throw corrupt('truncated message header', pos);
    const offset = buf.readBigInt64BE(pos);
    const size = buf.readInt32BE(pos + 8);
    if (size < MESSAGE_OVERHEAD_V0) {
      throw corrupt(`message size ${size} is below the minimum ${MESSAGE_OVERHEAD_V0}`, pos);
    }
    if (size > buf.length - pos - LOG_OVERHEAD) {
      throw corrupt(`message size ${size} exceeds the ${buf.length - pos - LOG_OVERHEAD} bytes left`, pos);
    }
    messages.push(readMessage(buf.subarray(pos + LOG_OVERHEAD, pos + LOG_OVERHEAD + size), offset, pos));
    pos += LOG_OVERHEAD + size;
  }
  return messages;
}

function readMessage(message: Buffer, offset: bigint, position: number): LegacyMessage {
  const magic = message.readInt8(4);
  if (magic !== 0 && magic !== 1) {
    // Magic 2 is a record batch, which Produce below v3 may not carry (Kafka: INVALID_RECORD).
    if (magic === 2) throw invalid('a record batch (magic 2) needs Produce v3 or later', position);
    throw corrupt(`unknown message magic ${magic}`, position);
  }
  const headerSize = MESSAGE_OVERHEAD_V0 + (magic === 1 ? TIMESTAMP_SIZE : 0);
  if (message.length < headerSize) {
    throw corrupt(
      `message size ${message.length} is below the magic-${magic} minimum ${headerSize}`,
      position,
    );
  }
  const stored = message.readUInt32BE(0);
  const computed = crc32(message.subarray(4)) >>> 0;
  if (stored !== computed) {
    throw corrupt(`message CRC 0x${stored.toString(16)} does not match 0x${computed.toString(16)}`, position);
  }
  const attributes = message.readUInt8(5);
  const timestamp = magic === 1 ? message.readBigInt64BE(6) : NO_TIMESTAMP;
  let pos = magic === 1 ? 6 + TIMESTAMP_SIZE : 6;
  const field = (name: string): Buffer | null => {
    if (message.length - pos < 4) throw corrupt(`truncated ${name} length`, position);
    const length = message.readInt32BE(pos);
    pos += 4;
    if (length === -1) return null;
    if (length < 0 || length > message.length - pos) {
      throw corrupt(`${name} length ${length} does not fit the message`, position);
    }
    pos += length;
    return message.subarray(pos - length, pos);
  };
  const key = field('key');
  const value = field('value');
  if (pos !== message.length) {
    throw corrupt(`${message.length - pos} bytes after the value inside the message`, position);
  }
  return { offset, magic, attributes, timestamp, key, value };
}

/** A record of the up-converted batch. */
export interface UpConvertedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: bigint;
}

/** What a legacy message set holds once unwrapped: its records and the codec they travelled in. */
export interface LegacyMessageSetContents {
  codec: CompressionCodec;
  records: UpConvertedRecord[];
}

/**
 * The records of a legacy message set, decompressing a wrapper (Kafka's rules: all messages of one
 * magic; a compressed set is a single wrapper whose inner messages are uncompressed; inner offsets are
 * not checked, the broker assigns its own). Timestamps: a magic-1 message keeps its own, or the
 * wrapper's when the wrapper says LogAppendTime; magic 0 has none (-1), which stays -1 as CreateTime.
 */
export async function readLegacyMessageSet(
  buf: Buffer,
  options: DecompressOptions = {},
): Promise<LegacyMessageSetContents> {
  const messages = readLegacyMessages(buf);
  const first = messages[0];
  if (first === undefined) throw corrupt('empty message set', 0);
  if (messages.some((m) => m.magic !== first.magic)) {
    throw invalid('messages of different magic in one message set', 0);
  }
  const codecId = first.attributes & CODEC_MASK;
  if (messages.length > 1 && messages.some((m) => (m.attributes & CODEC_MASK) !== 0)) {
    throw invalid('a compressed message set must be a single wrapper message', 0);
  }
  if (codecId === CompressionCodec.None) {
    return { codec: CompressionCodec.None, records: messages.map(toRecord) };
  }
  if (codecId === CompressionCodec.Zstd) {
    throw new LegacyMessageSetError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      'zstd needs message format v2 (Produce v7 or later)',
      0,
    );
  }
  if (codecId > CompressionCodec.Zstd) throw corrupt(`unknown compression codec id ${codecId}`, 0);
  const codec = codecId as CompressionCodec;
  if (first.value === null) throw invalid('compressed wrapper message with a null value', 0);
  let inner: Buffer;
  try {
    inner = await decompress(codec, first.value, options);
  } catch (error) {
    if (error instanceof DecompressionError) throw corrupt(error.message, 0);
    throw error;
  }
  let innerMessages: LegacyMessage[];
  try {
    innerMessages = readLegacyMessages(inner);
  } catch (error) {
    if (error instanceof LegacyMessageSetError) {
      throw new LegacyMessageSetError(error.code, `inside the wrapper: ${error.message}`, 0, {
        cause: error,
      });
    }
    throw error;
  }
  if (innerMessages.length === 0) throw invalid('compressed wrapper message with no inner messages', 0);
  if (innerMessages.some((m) => (m.attributes & CODEC_MASK) !== 0)) {
    throw invalid('inner messages must not be compressed', 0);
  }
  const wrapperTime =
    first.magic === 1 && (first.attributes & LOG_APPEND_TIME_BIT) !== 0 ? first.timestamp : null;
  return {
    codec,
    records: innerMessages.map((m) => ({
      ...toRecord(m),
      timestamp: m.magic === 1 ? (wrapperTime ?? m.timestamp) : NO_TIMESTAMP,
    })),
  };
}

function toRecord(message: LegacyMessage): UpConvertedRecord {
  return { key: message.key, value: message.value, timestamp: message.timestamp };
}

/**
 * One magic-2 batch holding a legacy message set's records (keys, values, timestamps as CreateTime),
 * compressed with the codec they arrived in, without producer id (idempotence needs Produce v3+).
 * Offsets start at 0: the append stamps the real ones. Throws LegacyMessageSetError.
 */
export async function upConvertLegacyMessageSet(
  buf: Buffer,
  options: DecompressOptions = {},
): Promise<Buffer> {
  const { codec, records } = await readLegacyMessageSet(buf, options);
  return encodeRecordBatch({
    records,
    compression: codec,
    timestampType: TimestampType.CreateTime,
    baseOffset: 0n,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
  });
}
