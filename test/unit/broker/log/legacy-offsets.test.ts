import { describe, expect, it } from 'vitest';
import { capAtHighWatermark, legacyOffsetsBefore } from '../../../../broker/log/legacy-offsets.js';

// Segments at 0 (written at t=100), 50 (t=200), 90 (t=300); the log end 120 (now, t=400).
const points = [
  { offset: 0n, timeMs: 100 },
  { offset: 50n, timeMs: 200 },
  { offset: 90n, timeMs: 300 },
  { offset: 120n, timeMs: 400 },
];

describe('ListOffsets v0 offsets (Kafka legacy rule)', () => {
  it('latest: the log end first, then segment bases, newest first, up to max_num_offsets', () => {
    expect(legacyOffsetsBefore(points, -1n, 1)).toEqual([120n]);
    expect(legacyOffsetsBefore(points, -1n, 3)).toEqual([120n, 90n, 50n]);
    expect(legacyOffsetsBefore(points, -1n, 10)).toEqual([120n, 90n, 50n, 0n]);
    expect(legacyOffsetsBefore(points, -1n, 0)).toEqual([]);
  });

  it('earliest: the first segment only', () => {
    expect(legacyOffsetsBefore(points, -2n, 10)).toEqual([0n]);
  });

  it('by time: points written at or before it', () => {
    expect(legacyOffsetsBefore(points, 250n, 10)).toEqual([50n, 0n]);
    expect(legacyOffsetsBefore(points, 300n, 1)).toEqual([90n]);
    expect(legacyOffsetsBefore(points, 99n, 10)).toEqual([]);
  });

  it('consumers see nothing above the high watermark; the watermark leads when something was cut', () => {
    expect(capAtHighWatermark([120n, 90n, 50n], 100n)).toEqual([100n, 90n, 50n]);
    expect(capAtHighWatermark([90n, 50n], 100n)).toEqual([90n, 50n]);
  });
});
