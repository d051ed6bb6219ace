import * as snappy from 'snappy';
import { CompressionCodec } from '../../protocol/compression-codec.js';

/** Every codec a record batch may carry, in id order: tests that must hold for each run over this. */
export const ALL_COMPRESSION_CODECS: readonly CompressionCodec[] = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
];

/** xerial snappy-java framing: magic, version 1, compatible 1, then [i32 length][raw snappy block]… */
export function xerial(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (const block of blocks) {
    const compressed = snappy.compressSync(block);
    const length = Buffer.alloc(4);
    length.writeInt32BE(compressed.length);
    parts.push(length, compressed);
  }
  return Buffer.concat(parts);
}
