import fc from 'fast-check';
import * as lz4 from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { decompressLz4Frames, Lz4FrameError } from '../../../../protocol/lz4-frame.js';
import { bytesArb } from '../../../support/record-batch-arbitraries.js';

/** Frame header for independent blocks, 64 KiB maximum, no checksums (header checksum byte unchecked). */
const HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x00]);
const END = Buffer.alloc(4);

function blockHeader(size: number, stored = false): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE((size | (stored ? 0x80000000 : 0)) >>> 0);
  return b;
}

function frame(...blocks: Array<{ data: Buffer; stored?: boolean }>): Buffer {
  return Buffer.concat([
    HEADER,
    ...blocks.flatMap((b) => [blockHeader(b.data.length, b.stored), b.data]),
    END,
  ]);
}

function lz4Error(run: () => unknown): Lz4FrameError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(Lz4FrameError);
    return err as Lz4FrameError;
  }
  throw new Error('expected an Lz4FrameError');
}

describe('lz4 frame decoder', () => {
  it('agrees with lz4-napi (lz4_flex) on random and repetitive data', () => {
    fc.assert(
      fc.property(fc.array(bytesArb(40_000), { maxLength: 6 }), (parts) => {
        const data = Buffer.concat(parts);
        const packed = lz4.compressFrameSync(data);
        expect(decompressLz4Frames(packed, 1 << 30).equals(data)).toBe(true);
        expect(lz4.decompressFrameSync(packed).equals(data)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('decodes stored blocks, literal-only blocks, overlapping matches and concatenated/skippable frames', () => {
    // token 0x30: 3 literals, no match (last sequence)
    const literalsOnly = Buffer.from([0x30, 0x61, 0x62, 0x63]);
    // token 0x1f + extra 0x05: 1 literal 'z', match length 15+5+4 = 24 at offset 1 (run of 'z'), then 0x10 'y'
    const run = Buffer.from([0x1f, 0x7a, 0x01, 0x00, 0x05, 0x10, 0x79]);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb]);
    const data = Buffer.concat([
      frame({ data: Buffer.from('stored!'), stored: true }, { data: literalsOnly }),
      skippable,
      frame({ data: run }),
    ]);
    expect(decompressLz4Frames(data, 1000).toString()).toBe(`stored!abc${'z'.repeat(25)}y`);
  });

  it('refuses matches reaching before the window, in particular across independent blocks', () => {
    // 1 literal then a match at offset 2: only 1 byte of output exists in this block
    const bad = Buffer.from([0x10, 0x61, 0x02, 0x00, 0x10, 0x62]);
    expect(lz4Error(() => decompressLz4Frames(frame({ data: bad }), 1000)).message).toMatch(/offset 2/);
    const first = Buffer.from([0x30, 0x61, 0x62, 0x63]);
    expect(() => decompressLz4Frames(frame({ data: first }, { data: bad }), 1000)).toThrow(/offset 2/);
    // the same block in a linked-block frame (FLG 0x40) may refer back into the previous block
    const linked = frame({ data: first }, { data: bad });
    linked[4] = 0x40;
    expect(decompressLz4Frames(linked, 1000).toString()).toBe('abcacacab');
  });

  it('refuses truncation, bad magic, dictionaries, oversized blocks; caps output', () => {
    const good = lz4.compressFrameSync(Buffer.alloc(100_000, 3));
    for (let cut = 1; cut < good.length; cut += 7) {
      expect(() => decompressLz4Frames(good.subarray(0, cut), 1 << 20)).toThrow(Lz4FrameError);
    }
    expect(() => decompressLz4Frames(Buffer.from([1, 2, 3, 4, 5, 6, 7]), 100)).toThrow(/not an lz4 frame/);
    const dict = Buffer.from(good);
    dict[4]! |= 0x01;
    expect(() => decompressLz4Frames(dict, 1 << 20)).toThrow(/dictionary/);
    const oversized = frame({ data: Buffer.alloc(70_000), stored: true });
    expect(() => decompressLz4Frames(oversized, 1 << 20)).toThrow(/block maximum/);
    const capped = lz4Error(() => decompressLz4Frames(good, 50_000));
    expect(capped.limitExceeded).toBe(true);
  });
});
