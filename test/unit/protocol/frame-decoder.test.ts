import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameTooLargeError, frameWithSize } from '../../../protocol/frame-decoder.js';

describe('FrameDecoder', () => {
  it('returns whole frames from one chunk', () => {
    const d = new FrameDecoder();
    const stream = Buffer.concat([
      frameWithSize(Buffer.from('abc')),
      frameWithSize(Buffer.alloc(0)),
      frameWithSize(Buffer.from('xy')),
    ]);
    const frames = d.push(stream);
    expect(frames.map((f) => f.toString())).toEqual(['abc', '', 'xy']);
    expect(d.bufferedBytes).toBe(0);
  });

  it('reassembles frames split at every possible point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 40 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => frameWithSize(Buffer.from(b))));
          const d = new FrameDecoder();
          const out: Buffer[] = [];
          let offset = 0;
          let i = 0;
          while (offset < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            out.push(...d.push(stream.subarray(offset, offset + n)));
            offset += n;
          }
          expect(out.map((b) => [...b])).toEqual(bodies.map((b) => [...b]));
          expect(d.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a partial frame until the rest arrives', () => {
    const d = new FrameDecoder();
    const f = frameWithSize(Buffer.from('hello'));
    expect(d.push(f.subarray(0, 2))).toEqual([]);
    expect(d.push(f.subarray(2, 6))).toEqual([]);
    expect(d.bufferedBytes).toBe(6);
    expect(d.push(f.subarray(6)).map(String)).toEqual(['hello']);
  });

  it('throws FrameTooLargeError for an oversized or negative size prefix, even before the body arrives', () => {
    const d = new FrameDecoder(1024);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1025);
    expect(() => d.push(prefix)).toThrow(FrameTooLargeError);
    const split = new FrameDecoder(1024);
    split.push(prefix.subarray(0, 2));
    expect(() => split.push(prefix.subarray(2))).toThrow(/exceeds limit of 1024/);
    const negative = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(() => new FrameDecoder().push(negative)).toThrow(/negative frame size/);
  });
});
