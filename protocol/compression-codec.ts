/**
 * Compression codec ids as carried in record-batch attribute bits 0-2 (Kafka protocol).
 * Kept apart from compression.ts so header readers need not load the native codec libraries.
 */
export enum CompressionCodec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= CompressionCodec.None && id <= CompressionCodec.Zstd;
}
