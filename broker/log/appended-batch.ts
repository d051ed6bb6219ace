/**
 * What the log needs to know about one appended batch to index and cache it: position and offsets are
 * already final. Its own module so the segment and its tail cache both use it without importing each
 * other.
 */
export interface AppendedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}
