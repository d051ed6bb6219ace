import { ErrorCode } from '../../protocol/errors.js';
import { CompressionCodec, compressionOf, recordBatchesIn } from '../../protocol/record-batch-header.js';

/**
 * True when any complete batch in `records` is zstd-compressed (header only, no decoding): Produce
 * below v7 and Fetch below v10 cannot carry zstd.
 */
export function hasZstdBatch(records: Buffer): boolean {
  try {
    for (const { header } of recordBatchesIn(records)) {
      if (compressionOf(header.attributes) === CompressionCodec.Zstd) return true;
    }
  } catch {
    // An unreadable header is the append's problem: it answers CORRUPT_MESSAGE.
  }
  return false;
}

/**
 * What a Fetch below v10 (before zstd existed, KIP-110) may receive of `records`: every whole batch
 * before the first zstd batch. Kafka answers 76 UNSUPPORTED_COMPRESSION_TYPE for the whole range when
 * any zstd batch is in it, which strands an old client on the records before it; here 76 comes only
 * when the fetch position itself is in a zstd batch, or the topic stores zstd (compression.type).
 */
export function recordsForFetchBelowV10(
  records: Buffer,
  topicStoresZstd: boolean,
): { records: Buffer } | { errorCode: number } {
  if (topicStoresZstd) return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE };
  for (const batch of recordBatchesIn(records)) {
    if (compressionOf(batch.header.attributes, batch.offset) !== CompressionCodec.Zstd) continue;
    return batch.offset === 0
      ? { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE }
      : { records: records.subarray(0, batch.offset) };
  }
  return { records };
}
