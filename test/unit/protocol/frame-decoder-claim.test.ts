import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../../protocol/frame-decoder.js';

function framed(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

describe('FrameDecoder claims', () => {
  it('asks for each frame once, before its buffer exists, and stops while refused', () => {
    const claims: number[] = [];
    let grant = true;
    const decoder = new FrameDecoder(1024, (size) => {
      claims.push(size);
      return grant;
    });
    const a = Buffer.alloc(100, 1);
    const b = Buffer.alloc(200, 2);
    const c = Buffer.alloc(50, 3);
    const stream = Buffer.concat([framed(a), framed(b), framed(c)]);
    // The first frame and part of the second arrive; the second is refused.
    expect(decoder.push(stream.subarray(0, 4 + 100)).map((f) => f.length)).toEqual([100]);
    grant = false;
    expect(decoder.push(stream.subarray(104, 150))).toEqual([]);
    expect(claims).toEqual([100, 200]);
    expect(decoder.waitingForClaim).toBe(true);
    // More bytes while refused are kept, not decoded.
    expect(decoder.push(stream.subarray(150))).toEqual([]);
    expect(decoder.resume()).toEqual([]);
    expect(claims).toEqual([100, 200, 200]);
    grant = true;
    const frames = decoder.resume();
    expect(frames.map((f) => f.length)).toEqual([200, 50]);
    expect(frames[0]!.equals(b)).toBe(true);
    expect(frames[1]!.equals(c)).toBe(true);
    // Granted once on resume: not claimed a second time.
    expect(claims).toEqual([100, 200, 200, 200, 50]);
    expect(decoder.waitingForClaim).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reports the claimed size of a frame being assembled', () => {
    const decoder = new FrameDecoder(1024);
    decoder.push(framed(Buffer.alloc(300)).subarray(0, 10));
    expect(decoder.claimedPartialBytes).toBe(300);
  });
});
