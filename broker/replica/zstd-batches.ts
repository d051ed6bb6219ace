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
