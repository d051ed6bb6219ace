import { CompressionCodec, compress, decompress, type DecompressOptions } from './compression.js';

/**
 * Snappy, LZ4 and ZSTD for kafkajs, which ships only gzip. Each export is a codec factory in the
 * shape kafkajs's `CompressionCodecs` table holds (`() => { compress(encoder), decompress(buffer) }`),
 * built on protocol/compression.ts, so kafkajs producers and consumers write and read exactly what
 * sluice does (raw snappy out, raw or xerial snappy in; LZ4 frames; zstd frames). Register once:
 *
 * ```ts
 * import kafkajs from 'kafkajs'; // CommonJS: named imports are not visible from ESM
 * const { CompressionCodecs, CompressionTypes } = kafkajs;
 * CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
 * CompressionCodecs[CompressionTypes.LZ4] = Lz4Codec;
 * CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodec;
 * ```
 * or `registerKafkaJsCodecs(CompressionCodecs)` for all three.
 */

/** What kafkajs hands `compress`: its Encoder, of which only the written bytes matter. */
export interface KafkaJsEncoderLike {
  buffer: Buffer;
}

export interface KafkaJsCodec {
  compress(encoder: KafkaJsEncoderLike): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export type KafkaJsCodecFactory = () => KafkaJsCodec;

function codecFactory(codec: CompressionCodec, options: DecompressOptions = {}): KafkaJsCodecFactory {
  const instance: KafkaJsCodec = {
    compress: (encoder) => compress(codec, encoder.buffer),
    decompress: (buffer) => decompress(codec, buffer, options),
  };
  return () => instance;
}

export const SnappyCodec: KafkaJsCodecFactory = codecFactory(CompressionCodec.Snappy);
export const Lz4Codec: KafkaJsCodecFactory = codecFactory(CompressionCodec.Lz4);
export const ZstdCodec: KafkaJsCodecFactory = codecFactory(CompressionCodec.Zstd);

/** Factories with a non-default decompression limit (default 256 MiB). */
export function kafkaJsCodecs(options: DecompressOptions): {
  snappy: KafkaJsCodecFactory;
  lz4: KafkaJsCodecFactory;
  zstd: KafkaJsCodecFactory;
} {
  return {
    snappy: codecFactory(CompressionCodec.Snappy, options),
    lz4: codecFactory(CompressionCodec.Lz4, options),
    zstd: codecFactory(CompressionCodec.Zstd, options),
  };
}

/** Installs all three into kafkajs's `CompressionCodecs` (keys are the Kafka codec ids 2, 3, 4). */
export function registerKafkaJsCodecs(table: Record<number, KafkaJsCodecFactory | (() => unknown)>): void {
  table[CompressionCodec.Snappy] = SnappyCodec;
  table[CompressionCodec.Lz4] = Lz4Codec;
  table[CompressionCodec.Zstd] = ZstdCodec;
}
