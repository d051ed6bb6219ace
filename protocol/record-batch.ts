import { ProtocolDecodeError } from './decode-error.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import {
  CompressionCodec,
  compress,
  compressSync,
  decompress,
  decompressSync,
  DecompressionError,
  type DecompressOptions,
} from './compression.js';
import { crc32c } from './crc32c.js';
import {
  compressionOf,
  CorruptRecordBatchError,
  CRC_COVERAGE_START,
  LOG_OVERHEAD,
  makeAttributes,
  RECORD_BATCH_HEADER_SIZE,
  RECORD_BATCH_MAGIC,
  RecordBatchField,
  readRecordBatchHeader,
  recordBatchesIn,
  TimestampType,
  timestampTypeOf,
  validateRecordBatch,
  type RecordBatchHeader,
} from './record-batch-header.js';

/**
 * Encoding and decoding of whole magic-2 record batches, records included (Kafka protocol,
 * "Record Batch" / "Record"). Each record is:
 *   length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint, key | valueLength varint, value | headerCount varint,
 *   headers (keyLength varint, utf-8 key | valueLength varint, value)…
 * with zigzag varints and -1 for a null key/value. A batch's records section may be compressed as a
 * whole with the codec in its attributes.
 *
 * Decoded keys, values and header values are views into the input (or into the decompressed buffer),
 * not copies: copy them if the input buffer is going to be reused.
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Create time in ms; defaults to the batch's `baseTimestamp` (itself defaulting to now). */
  timestamp?: bigint;
  /** Position in the batch; defaults to the record's index. Must increase strictly. */
  offsetDelta?: number;
}

export interface EncodeRecordBatchOptions {
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Raw attributes; when given, overrides compression/timestampType/isTransactional/isControl. */
  attributes?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the first record's timestamp, like the Java client and kafkajs. */
  baseTimestamp?: bigint;
  /** Defaults to the largest record timestamp (for LogAppendTime the broker sets it). */
  maxTimestamp?: bigint;
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedRecordBatch {
  header: RecordBatchHeader;
  records: DecodedRecord[];
}

export interface DecodeRecordBatchOptions extends DecompressOptions {
  /** Skip the CRC-32C check (for data already validated on append, e.g. our own log). Default false. */
  skipCrcCheck?: boolean;
}

// ---- encoding ----

interface PreparedBatch {
  attributes: number;
  codec: CompressionCodec;
  recordsBytes: Buffer;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
}

/** Builds a batch, compressing off the event loop where the codec allows. */
export async function encodeRecordBatch(options: EncodeRecordBatchOptions): Promise<Buffer> {
  const prepared = prepareRecords(options);
  const body =
    prepared.codec === CompressionCodec.None
      ? prepared.recordsBytes
      : await compress(prepared.codec, prepared.recordsBytes);
  return assembleBatch(options, prepared, body);
}

export function encodeRecordBatchSync(options: EncodeRecordBatchOptions): Buffer {
  const prepared = prepareRecords(options);
  return assembleBatch(options, prepared, compressSync(prepared.codec, prepared.recordsBytes));
}

function prepareRecords(options: EncodeRecordBatchOptions): PreparedBatch {
  const { records } = options;
  const attributes =
    options.attributes ??
    makeAttributes({
      compression: options.compression ?? CompressionCodec.None,
      timestampType: options.timestampType ?? TimestampType.CreateTime,
      isTransactional: options.isTransactional ?? false,
      isControl: options.isControl ?? false,
    });
  const codec = compressionOf(attributes);
  const now = BigInt(Date.now());
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? (records.length > 0 ? now : -1n);
  let maxTimestamp = records.length > 0 ? -(2n ** 63n) : -1n;
  let lastOffsetDelta = -1;
  const writer = new Writer(estimateRecordsSize(records));
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const offsetDelta = record.offsetDelta ?? i;
    if (offsetDelta <= lastOffsetDelta) {
      throw new RangeError(
        `record ${i}: offsetDelta ${offsetDelta} does not increase (previous ${lastOffsetDelta})`,
      );
    }
    lastOffsetDelta = offsetDelta;
    const timestamp = record.timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    writeRecord(writer, record, timestamp - baseTimestamp, offsetDelta);
  }
  return {
    attributes,
    codec,
    recordsBytes: writer.finish(),
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp: options.maxTimestamp ?? maxTimestamp,
  };
}

function estimateRecordsSize(records: RecordInput[]): number {
  let size = 64;
  for (const r of records)
    size += 24 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + (r.headers?.length ?? 0) * 16;
  return size;
}

/** Bytes a zigzag varint takes, for |v| < 2^48 (where the zigzag value is still exact in a double). */
function varintSize(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

function varlongSize(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let size = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    size++;
  }
  return size;
}

const SAFE_DELTA = 2n ** 48n;

function writeRecord(writer: Writer, record: RecordInput, timestampDelta: bigint, offsetDelta: number): void {
  const headers = record.headers ?? [];
  const headerKeySizes = headers.map((h) => Buffer.byteLength(h.key, 'utf8'));
  const small = timestampDelta > -SAFE_DELTA && timestampDelta < SAFE_DELTA;
  let bodySize =
    1 + // attributes
    (small ? varintSize(Number(timestampDelta)) : varlongSize(timestampDelta)) +
    varintSize(offsetDelta) +
    nullableBytesSize(record.key) +
    nullableBytesSize(record.value) +
    varintSize(headers.length);
  for (let i = 0; i < headers.length; i++) {
    bodySize += varintSize(headerKeySizes[i]!) + headerKeySizes[i]! + nullableBytesSize(headers[i]!.value);
  }
  writer.writeVarint(bodySize);
  writer.writeInt8(0);
  writer.writeVarlong(timestampDelta);
  writer.writeVarint(offsetDelta);
  writeNullableVarintBytes(writer, record.key);
  writeNullableVarintBytes(writer, record.value);
  writer.writeVarint(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    writer.writeVarint(headerKeySizes[i]!);
    writer.writeRaw(Buffer.from(header.key, 'utf8'));
    writeNullableVarintBytes(writer, header.value);
  }
}

function nullableBytesSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function writeNullableVarintBytes(writer: Writer, b: Buffer | null): void {
  if (b === null) {
    writer.writeVarint(-1);
  } else {
    writer.writeVarint(b.length);
    writer.writeRaw(b);
  }
}

function assembleBatch(options: EncodeRecordBatchOptions, prepared: PreparedBatch, body: Buffer): Buffer {
  const size = RECORD_BATCH_HEADER_SIZE + body.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(options.baseOffset ?? 0n, RecordBatchField.baseOffset);
  buf.writeInt32BE(size - LOG_OVERHEAD, RecordBatchField.batchLength);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, RecordBatchField.partitionLeaderEpoch);
  buf.writeInt8(RECORD_BATCH_MAGIC, RecordBatchField.magic);
  buf.writeInt16BE(prepared.attributes, RecordBatchField.attributes);
  buf.writeInt32BE(prepared.lastOffsetDelta, RecordBatchField.lastOffsetDelta);
  buf.writeBigInt64BE(prepared.baseTimestamp, RecordBatchField.baseTimestamp);
  buf.writeBigInt64BE(prepared.maxTimestamp, RecordBatchField.maxTimestamp);
  buf.writeBigInt64BE(options.producerId ?? -1n, RecordBatchField.producerId);
  buf.writeInt16BE(options.producerEpoch ?? -1, RecordBatchField.producerEpoch);
  buf.writeInt32BE(options.baseSequence ?? -1, RecordBatchField.baseSequence);
  buf.writeInt32BE(options.records.length, RecordBatchField.recordsCount);
  body.copy(buf, RECORD_BATCH_HEADER_SIZE);
  buf.writeUInt32BE(crc32c(buf.subarray(CRC_COVERAGE_START)), RecordBatchField.crc);
  return buf;
}

// ---- decoding ----

/** Checks header and CRC, decompresses (bounded) and decodes every record of the batch at `offset`. */
export async function decodeRecordBatch(
  buf: Buffer,
  offset = 0,
  options: DecodeRecordBatchOptions = {},
): Promise<DecodedRecordBatch> {
  const { header, codec, body } = openBatch(buf, offset, options);
  const records =
    codec === CompressionCodec.None
      ? body
      : await decompressBody(() => decompress(codec, body, options), offset);
  return { header, records: decodeRecords(header, records, offset) };
}

export function decodeRecordBatchSync(
  buf: Buffer,
  offset = 0,
  options: DecodeRecordBatchOptions = {},
): DecodedRecordBatch {
  const { header, codec, body } = openBatch(buf, offset, options);
  const records =
    codec === CompressionCodec.None
      ? body
      : decompressBodySync(() => decompressSync(codec, body, options), offset);
  return { header, records: decodeRecords(header, records, offset) };
}

/**
 * Decodes every complete batch in a concatenation (a fetch response's records, a log slice) and
 * ignores a partial trailing batch, as Kafka clients do when a fetch is cut at its byte limit.
 */
export async function decodeRecordBatches(
  buf: Buffer,
  options: DecodeRecordBatchOptions = {},
): Promise<DecodedRecordBatch[]> {
  const batches: DecodedRecordBatch[] = [];
  for (const { offset } of recordBatchesIn(buf)) batches.push(await decodeRecordBatch(buf, offset, options));
  return batches;
}

export function decodeRecordBatchesSync(
  buf: Buffer,
  options: DecodeRecordBatchOptions = {},
): DecodedRecordBatch[] {
  const batches: DecodedRecordBatch[] = [];
  for (const { offset } of recordBatchesIn(buf)) batches.push(decodeRecordBatchSync(buf, offset, options));
  return batches;
}

function openBatch(
  buf: Buffer,
  offset: number,
  options: DecodeRecordBatchOptions,
): { header: RecordBatchHeader; codec: CompressionCodec; body: Buffer } {
  const header = options.skipCrcCheck
    ? validateRecordBatchShape(buf, offset)
    : validateRecordBatch(buf, offset);
  const codec = compressionOf(header.attributes, offset);
  const body = buf.subarray(offset + RECORD_BATCH_HEADER_SIZE, offset + LOG_OVERHEAD + header.batchLength);
  return { header, codec, body };
}

/** validateRecordBatch without the checksum pass. */
function validateRecordBatchShape(buf: Buffer, offset: number): RecordBatchHeader {
  const header = readRecordBatchHeader(buf, offset);
  if (buf.length - offset < LOG_OVERHEAD + header.batchLength) {
    throw new CorruptRecordBatchError('record batch is truncated', offset);
  }
  return header;
}

async function decompressBody(run: () => Promise<Buffer>, position: number): Promise<Buffer> {
  try {
    return await run();
  } catch (err) {
    throw asCorrupt(err, position);
  }
}

function decompressBodySync(run: () => Buffer, position: number): Buffer {
  try {
    return run();
  } catch (err) {
    throw asCorrupt(err, position);
  }
}

function asCorrupt(err: unknown, position: number): Error {
  if (err instanceof CorruptRecordBatchError) return err;
  if (err instanceof DecompressionError || err instanceof ProtocolDecodeError) {
    return new CorruptRecordBatchError(err.message, position, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Smallest encoded record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_SIZE = 7;
/** Smallest encoded header: key length 0 and a null value. */
const MIN_HEADER_SIZE = 2;

function decodeRecords(header: RecordBatchHeader, data: Buffer, position: number): DecodedRecord[] {
  const count = header.recordsCount;
  if (count > Math.floor(data.length / MIN_RECORD_SIZE)) {
    throw new CorruptRecordBatchError(
      `recordsCount ${count} cannot fit in ${data.length} bytes of records`,
      position,
    );
  }
  const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.LogAppendTime;
  const reader = new Reader(data);
  const records = new Array<DecodedRecord>(count);
  try {
    for (let i = 0; i < count; i++) {
      records[i] = readRecord(reader, header, logAppendTime);
    }
  } catch (err) {
    throw asCorrupt(err, position);
  }
  if (reader.remaining !== 0) {
    throw new CorruptRecordBatchError(
      `${reader.remaining} bytes left after the ${count} records the batch declares`,
      position,
    );
  }
  return records;
}

function readRecord(reader: Reader, header: RecordBatchHeader, logAppendTime: boolean): DecodedRecord {
  const lengthAt = reader.offset;
  const length = reader.readVarint('record length');
  if (length < MIN_RECORD_SIZE - 1 || length > reader.remaining) {
    reader.fail(
      'record length',
      `record length ${length} out of range (${reader.remaining} bytes left)`,
      lengthAt,
    );
  }
  // Fields are read with the batch-wide reader (no per-record reader: this is the consume hot path);
  // it cannot run past the records data, and overrunning this record is caught below.
  const end = reader.offset + length;
  const record = reader;
  record.readInt8('record attributes');
  const timestampDelta = record.readVarlong('record timestampDelta');
  const offsetDelta = record.readVarint('record offsetDelta');
  const key = readNullableVarintBytes(record, 'record key');
  const value = readNullableVarintBytes(record, 'record value');
  const headerCountAt = record.offset;
  const headerCount = record.readVarint('record header count');
  if (headerCount < 0 || headerCount > Math.floor((end - record.offset) / MIN_HEADER_SIZE)) {
    record.fail('record header count', `header count ${headerCount} out of range`, headerCountAt);
  }
  const headers = new Array<RecordHeader>(headerCount);
  for (let h = 0; h < headerCount; h++) {
    const keyLengthAt = record.offset;
    const keyLength = record.readVarint('record header key');
    if (keyLength < 0)
      record.fail('record header key', `invalid header key length ${keyLength}`, keyLengthAt);
    const keyBytes = record.readRaw(keyLength, 'record header key');
    headers[h] = {
      key: keyBytes.toString('utf8'),
      value: readNullableVarintBytes(record, 'record header value'),
    };
  }
  if (record.offset !== end) {
    record.fail(
      'record',
      `record of length ${length} ends at ${record.offset - end} bytes from its declared end`,
      lengthAt,
    );
  }
  return {
    offset: header.baseOffset + BigInt(offsetDelta),
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

function readNullableVarintBytes(reader: Reader, field: string): Buffer | null {
  const at = reader.offset;
  const length = reader.readVarint(field);
  if (length === -1) return null;
  if (length < 0) reader.fail(field, `invalid length ${length}`, at);
  return reader.readRaw(length, field);
}

// ---- control records (transaction markers) ----

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
}

/** Key of a control record: version i16, type i16 (Kafka's EndTransactionMarker). */
export function controlRecordTypeOf(key: Buffer | null): ControlRecordType | null {
  if (key === null || key.length < 4) return null;
  const type = key.readInt16BE(2);
  return type === ControlRecordType.Abort || type === ControlRecordType.Commit ? type : null;
}
