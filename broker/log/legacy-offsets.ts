import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type SegmentOffsetTime } from './partition-log.js';

/**
 * ListOffsets v0 (Kafka's legacy "offsets before time"): up to `maxNumOffsets` offsets, newest first,
 * chosen from the segment base offsets and the log end (`points`, oldest first). Latest starts at the
 * log end, earliest at the first segment, a time at the newest point written at or before it.
 */
export function legacyOffsetsBefore(
  points: readonly SegmentOffsetTime[],
  timestamp: bigint,
  maxNumOffsets: number,
): bigint[] {
  let start: number;
  if (timestamp === LATEST_TIMESTAMP) start = points.length - 1;
  else if (timestamp === EARLIEST_TIMESTAMP) start = Math.min(0, points.length - 1);
  else {
    start = points.length - 1;
    while (start >= 0 && points[start]!.timeMs > Number(timestamp)) start--;
  }
  const offsets: bigint[] = [];
  for (let i = start; i >= 0 && offsets.length < maxNumOffsets; i--) offsets.push(points[i]!.offset);
  return offsets.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
}

/**
 * What a consumer may see of `offsets` (newest first): nothing above the high watermark; if some were
 * above, the high watermark itself leads (Kafka's rule for v0 consumers).
 */
export function capAtHighWatermark(offsets: readonly bigint[], highWatermark: bigint): bigint[] {
  const below = offsets.filter((o) => o <= highWatermark);
  return below.length < offsets.length ? [highWatermark, ...below] : [...below];
}
