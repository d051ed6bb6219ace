import {
  compress,
  CompressionCodec,
  decompress,
  DecompressionError,
  type DecompressOptions,
} from './compression.js';
import {
  compressionOf,
  computeRecordBatchCrc,
  CorruptRecordBatchError,
  isControl,
  LOG_OVERHEAD,
  makeAttributes,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchField,
  recordBatchesIn,
  validateRecordBatch,
} from './record-batch-header.js';

/**
 * Rewrites every batch of `records` whose codec is not `codec` into `codec` (a topic's
 * compression.type): the records section is decompressed and compressed again; every header field
 * (offsets, timestamps, producer id/epoch/base sequence, transactional and timestamp-type bits) stays,
 * batchLength and the CRC are recomputed. Control batches and batches already in `codec` are kept
 * byte for byte; when nothing changes the input itself is returned. Each batch's CRC is checked first,
 * so a damaged batch is refused (CorruptRecordBatchError) rather than given a fresh, valid CRC.
 */
export async function recompressRecordBatches(
  records: Buffer,
  codec: CompressionCodec,
  options: DecompressOptions = {},
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let changed = false;
  const walk = recordBatchesIn(records);
  let step = walk.next();
  while (!step.done) {
    const { offset, size, header } = step.value;
    const batch = records.subarray(offset, offset + size);
    const from = compressionOf(header.attributes, offset);
    if (from === codec || isControl(header.attributes)) {
      parts.push(batch);
    } else {
      validateRecordBatch(records, offset);
      parts.push(await recompressBatch(batch, from, codec, options, offset));
      changed = true;
    }
    step = walk.next();
  }
  if (!changed) return records;
  // A trailing partial batch stays for the append's validation to refuse.
  parts.push(records.subarray(step.value.validBytes));
  return Buffer.concat(parts);
}

async function recompressBatch(
  batch: Buffer,
  from: CompressionCodec,
  to: CompressionCodec,
  options: DecompressOptions,
  position: number,
): Promise<Buffer> {
  let plain: Buffer;
  try {
    plain = await decompress(from, batch.subarray(RECORD_BATCH_HEADER_SIZE), options);
  } catch (error) {
    if (error instanceof DecompressionError) throw new CorruptRecordBatchError(error.message, position);
    throw error;
  }
  const body = to === CompressionCodec.None ? plain : await compress(to, plain);
  const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + body.length);
  batch.copy(out, 0, 0, RECORD_BATCH_HEADER_SIZE);
  body.copy(out, RECORD_BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, RecordBatchField.batchLength);
  const attributes = batch.readInt16BE(RecordBatchField.attributes);
  out.writeInt16BE(
    (attributes & ~CODEC_BITS) | makeAttributes({ compression: to }),
    RecordBatchField.attributes,
  );
  out.writeUInt32BE(computeRecordBatchCrc(out, 0), RecordBatchField.crc);
  return out;
}

/** Attribute bits 0-2: the codec (makeAttributes({ compression }) sets only these). */
const CODEC_BITS = 0x07;
