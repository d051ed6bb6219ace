import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import { removeFileIfPresent } from './checkpoint-file.js';
import type { LogConfig } from './log-config.js';
import { LogSegment } from './log-segment.js';
import { parseSegmentLogFileName, segmentFileStem, segmentPaths } from './segment-file-names.js';

/**
 * Opens the segments of a partition directory. After a clean shutdown, and for segments wholly below
 * the recovery point, indexes are trusted (after a sanity check); everything else is re-scanned batch
 * by batch and a torn or corrupt tail is cut off. Segments after a cut are deleted, since offsets
 * must continue without gaps.
 */
export async function loadSegments(
  dir: string,
  config: LogConfig,
  nowMs: number,
  clean: boolean,
  recoveryPoint: bigint,
  logger: Logger,
): Promise<LogSegment[]> {
  const names = await readdir(dir);
  for (const name of names.filter((n) => n.endsWith('.tmp'))) await removeFileIfPresent(join(dir, name));
  const bases = names
    .map(parseSegmentLogFileName)
    .filter((b): b is bigint => b !== null)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const present = new Set(bases.map(segmentFileStem));
  for (const name of names) {
    const stem = /^(\d{20})\.(index|timeindex)$/.exec(name)?.[1];
    if (stem !== undefined && !present.has(stem)) await removeFileIfPresent(join(dir, name));
  }

  const segments: LogSegment[] = [];
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const nextBase = bases[i + 1] ?? null;
    const trusted = clean || (nextBase !== null && nextBase <= recoveryPoint);
    let segment = trusted
      ? await LogSegment.load(dir, base, nextBase, config.indexIntervalBytes, nowMs)
      : null;
    let cut = false;
    if (segment === null) {
      if (trusted) logger.warn({ baseOffset: base }, 'segment index failed its sanity check; rebuilding');
      const recovered = await LogSegment.recover(dir, base, config.indexIntervalBytes, nowMs);
      segment = recovered.segment;
      if (recovered.truncatedBytes > 0) {
        logger.warn(
          { baseOffset: base, truncatedBytes: recovered.truncatedBytes, problem: recovered.problem },
          'truncated a torn or corrupt segment tail',
        );
      }
      cut = recovered.truncatedBytes > 0 || (nextBase !== null && segment.nextOffset !== nextBase);
      await segment.saveIndexes({ sync: false });
    }
    segments.push(segment);
    if (cut && nextBase !== null) {
      for (const later of bases.slice(i + 1)) {
        logger.warn({ baseOffset: later }, 'deleting a segment after a truncated one');
        const paths = segmentPaths(dir, later);
        for (const path of [paths.log, paths.offsetIndex, paths.timeIndex]) await removeFileIfPresent(path);
      }
      break;
    }
  }
  return segments;
}
