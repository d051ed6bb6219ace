import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compress,
  CompressionCodec,
  compressSync,
  decompress,
  DecompressionError,
  DecompressionLimitError,
  decompressSync,
  isXerialSnappy,
} from '../../../../protocol/compression.js';
import { bytesArb } from '../../../support/record-batch-arbitraries.js';
import { ALL_COMPRESSION_CODECS, xerial } from '../../../support/compression-codecs.js';

const CODECS = ALL_COMPRESSION_CODECS;

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** The text the fixtures were made from (by the lz4 1.9.4 and zstd 1.5.4 command-line tools). */
const plain = Buffer.from(
  Array.from(
    { length: 3000 },
    (_, i) => `record ${i}: the quick brown fox jumps over the lazy dog ${i * i}\n`,
  ).join(''),
);

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('compression round trips', () => {
  for (const codec of CODECS) {
    it(`${CompressionCodec[codec]}: decompress(compress(x)) = x, sync and async`, async () => {
      await fc.assert(
        fc.asyncProperty(bytesArb(200_000), async (data) => {
          const packed = await compress(codec, data);
          expect((await decompress(codec, packed)).equals(data)).toBe(true);
          expect(decompressSync(codec, compressSync(codec, data)).equals(data)).toBe(true);
        }),
        { numRuns: 30 },
      );
    });
  }

  it('writes the formats Kafka clients read: gzip member, raw snappy, lz4 frame, zstd frame', () => {
    const data = Buffer.from('hello kafka '.repeat(100));
    expect([...compressSync(CompressionCodec.Gzip, data).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const rawSnappy = compressSync(CompressionCodec.Snappy, data);
    expect(isXerialSnappy(rawSnappy)).toBe(false);
    expect(rawSnappy[0]! | ((rawSnappy[1]! & 0x7f) << 7)).toBe(data.length); // length preamble
    expect(compressSync(CompressionCodec.Lz4, data).readUInt32LE(0)).toBe(0x184d2204);
    expect(compressSync(CompressionCodec.Zstd, data).readUInt32LE(0)).toBe(0xfd2fb528);
  });
});

describe('reading other implementations', () => {
  it('xerial-framed snappy (the Java client) decodes, one block or several', async () => {
    const one = xerial([plain]);
    expect(isXerialSnappy(one)).toBe(true);
    expect((await decompress(CompressionCodec.Snappy, one)).equals(plain)).toBe(true);
    const blocks = [
      plain.subarray(0, 32 * 1024),
      plain.subarray(32 * 1024, 64 * 1024),
      plain.subarray(64 * 1024),
    ];
    expect(decompressSync(CompressionCodec.Snappy, xerial(blocks)).equals(plain)).toBe(true);
    expect(decompressSync(CompressionCodec.Snappy, xerial([])).length).toBe(0);
  });

  it('truncated or inconsistent xerial framing is a DecompressionError', () => {
    const framed = xerial([plain]);
    expect(
      errorOf(() => decompressSync(CompressionCodec.Snappy, framed.subarray(0, framed.length - 1))),
    ).toBeInstanceOf(DecompressionError);
    expect(errorOf(() => decompressSync(CompressionCodec.Snappy, framed.subarray(0, 18)))).toBeInstanceOf(
      DecompressionError,
    );
  });

  it('lz4 frames from the lz4 CLI: linked blocks + content size + checksum, independent + block checksums, 4 MiB blocks', () => {
    for (const name of ['linked-content-size.lz4', 'independent-blockcrc.lz4', 'default-4mb.lz4']) {
      expect(decompressSync(CompressionCodec.Lz4, fixture(name)).equals(plain), name).toBe(true);
    }
  });

  it('zstd frames from the zstd CLI: with content size, streamed without it, two frames back to back', async () => {
    expect(decompressSync(CompressionCodec.Zstd, fixture('cli.zst')).equals(plain)).toBe(true);
    expect((await decompress(CompressionCodec.Zstd, fixture('streamed-no-size.zst'))).equals(plain)).toBe(
      true,
    );
    expect(
      decompressSync(CompressionCodec.Zstd, fixture('two-frames.zst')).equals(Buffer.concat([plain, plain])),
    ).toBe(true);
  });

  it('concatenated gzip members decode to the concatenation', () => {
    const members = Buffer.concat([gzipSync(Buffer.from('abc')), gzipSync(Buffer.from('def'))]);
    expect(decompressSync(CompressionCodec.Gzip, members).toString()).toBe('abcdef');
  });
});

describe('decompression bombs', () => {
  const big = Buffer.alloc(20 * 1024 * 1024);
  const limit = 1024 * 1024;

  for (const codec of CODECS) {
    it(`${CompressionCodec[codec]}: output beyond maxOutputBytes is a DecompressionLimitError`, async () => {
      const packed = compressSync(codec, big);
      const err = errorOf(() => decompressSync(codec, packed, { maxOutputBytes: limit }));
      expect(err).toBeInstanceOf(DecompressionLimitError);
      expect((err as DecompressionLimitError).limit).toBe(limit);
      expect((err as DecompressionLimitError).code).toBe(2);
      await expect(decompress(codec, packed, { maxOutputBytes: limit })).rejects.toBeInstanceOf(
        DecompressionLimitError,
      );
      // exactly at the limit is fine
      const atLimit = compressSync(codec, big.subarray(0, limit));
      expect(decompressSync(codec, atLimit, { maxOutputBytes: limit }).length).toBe(limit);
    });
  }

  it('snappy: a length preamble claiming 4 GiB is refused before decoding', () => {
    const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    const err = errorOf(() => decompressSync(CompressionCodec.Snappy, claim));
    expect(err).toBeInstanceOf(DecompressionLimitError);
    expect((err as Error).message).toMatch(/4294967295 bytes/);
    const framed = Buffer.concat([xerial([]), Buffer.from([0, 0, 0, 6]), claim]);
    expect(errorOf(() => decompressSync(CompressionCodec.Snappy, framed))).toBeInstanceOf(
      DecompressionLimitError,
    );
  });

  it('snappy: a preamble claiming more than the block could expand to is corrupt, not allocated', () => {
    const claim = Buffer.from([0xe8, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]); // 1000 bytes from 10
    const err = errorOf(() => decompressSync(CompressionCodec.Snappy, claim));
    expect(err).toBeInstanceOf(DecompressionError);
    expect(err).not.toBeInstanceOf(DecompressionLimitError);
    expect((err as Error).message).toMatch(/cannot expand/);
  });

  it('lz4: a frame whose content size claims more than the limit is refused from its header', () => {
    const frame = Buffer.from(fixture('linked-content-size.lz4'));
    frame.writeBigUInt64LE(2n ** 40n, 6); // content size field (FLG has C.Size)
    const err = errorOf(() => decompressSync(CompressionCodec.Lz4, frame));
    expect(err).toBeInstanceOf(DecompressionLimitError);
    expect((err as Error).message).toMatch(/1099511627776 bytes/);
  });

  it('lz4: many small blocks adding up past the limit are refused while decoding', () => {
    const frame = fixture('independent-blockcrc.lz4'); // 64 KiB blocks, 192 KiB in all
    expect(
      errorOf(() => decompressSync(CompressionCodec.Lz4, frame, { maxOutputBytes: 64 * 1024 })),
    ).toBeInstanceOf(DecompressionLimitError);
  });
});

describe('corrupt input', () => {
  for (const codec of CODECS.filter((c) => c !== CompressionCodec.None)) {
    it(`${CompressionCodec[codec]}: random or damaged input decodes or throws DecompressionError, nothing else`, async () => {
      const good = compressSync(codec, plain.subarray(0, 5000));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
            fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([pos, mask]) => {
              const b = Buffer.from(good);
              b[pos]! ^= mask;
              return b;
            }),
            fc.nat(good.length - 1).map((n) => good.subarray(0, n)),
          ),
          async (input) => {
            for (const run of [() => decompressSync(codec, input), () => decompress(codec, input)]) {
              try {
                const out = await run();
                expect(Buffer.isBuffer(out)).toBe(true);
              } catch (err) {
                expect(err).toBeInstanceOf(DecompressionError);
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('an unknown codec id is refused', () => {
    expect(errorOf(() => decompressSync(7 as CompressionCodec, Buffer.alloc(1)))).toBeInstanceOf(
      DecompressionError,
    );
    expect(() => compressSync(5 as CompressionCodec, Buffer.alloc(1))).toThrow(
      /unknown compression codec id 5/,
    );
  });
});
