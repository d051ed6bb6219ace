import { CompressionCodec } from '../../protocol/compression-codec.js';

/** Every codec a record batch may carry, in id order: tests that must hold for each run over this. */
export const ALL_COMPRESSION_CODECS: readonly CompressionCodec[] = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
];
