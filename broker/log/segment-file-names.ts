import { join } from 'node:path';

/**
 * Kafka's file naming: each segment is named by its base offset, zero-padded to 20 digits, so a
 * directory listing sorts segments in offset order.
 */
export const LOG_SUFFIX = '.log';
export const OFFSET_INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

export function segmentFileStem(baseOffset: bigint): string {
  return baseOffset.toString().padStart(20, '0');
}

export interface SegmentPaths {
  log: string;
  offsetIndex: string;
  timeIndex: string;
}

export function segmentPaths(dir: string, baseOffset: bigint): SegmentPaths {
  const stem = join(dir, segmentFileStem(baseOffset));
  return {
    log: stem + LOG_SUFFIX,
    offsetIndex: stem + OFFSET_INDEX_SUFFIX,
    timeIndex: stem + TIME_INDEX_SUFFIX,
  };
}

/** The base offset of a `<20 digits>.log` file name, or null for any other file. */
export function parseSegmentLogFileName(name: string): bigint | null {
  const match = /^(\d{20})\.log$/.exec(name);
  return match ? BigInt(match[1]!) : null;
}

/** `<topic>-<partition>`, Kafka's partition directory name. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
