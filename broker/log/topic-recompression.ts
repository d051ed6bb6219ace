import { CompressionCodec } from '../../protocol/compression-codec.js';
import type { DecompressOptions } from '../../protocol/compression.js';
import { recompressRecordBatches } from '../../protocol/record-batch-recompression.js';
import type { TopicCompressionType } from '../config.js';

const STORED_CODEC: Record<Exclude<TopicCompressionType, 'producer'>, CompressionCodec> = {
  uncompressed: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
};

/**
 * The batches a leader stores for a produce to a topic with `compressionType`: as they arrived for
 * `producer` (no work on the usual path), else recompressed into the topic's codec as Kafka does.
 * Throws CorruptRecordBatchError (2 CORRUPT_MESSAGE) for a batch that fails its CRC or decompression.
 */
export async function batchesToStore(
  records: Buffer,
  compressionType: TopicCompressionType,
  options: DecompressOptions = {},
): Promise<Buffer> {
  if (compressionType === 'producer') return records;
  return recompressRecordBatches(records, STORED_CODEC[compressionType], options);
}
