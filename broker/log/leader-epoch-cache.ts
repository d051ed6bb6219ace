import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import { readOptionalFile, writeFileAtomically } from './checkpoint-file.js';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

/** Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET in OffsetForLeaderEpoch answers. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: bigint;
}

/**
 * Which leader epoch wrote which offsets: (epoch → first offset) entries, ascending in both. A new
 * follower asks the leader for the end offset of its latest epoch (OffsetForLeaderEpoch) and
 * truncates there, instead of to the high watermark, so no acknowledged record is lost on failover.
 * Persisted as Kafka's `leader-epoch-checkpoint` text: version 0, entry count, "epoch offset" lines.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  private constructor(
    private readonly path: string,
    private readonly logger: Logger | undefined,
  ) {}

  static async load(dir: string, logger?: Logger): Promise<LeaderEpochCache> {
    const cache = new LeaderEpochCache(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), logger);
    const text = await readOptionalFile(cache.path);
    if (text !== null) cache.entries = parseEpochCheckpoint(text, cache.path);
    return cache;
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Only a newer epoch adds an entry; an entry that
   * would go backwards in offset replaces the later ones (a follower re-learning history after
   * truncation). Returns true when the cache changed (the caller persists it).
   */
  assign(epoch: number, startOffset: bigint): boolean {
    if (epoch < 0) return false;
    const latest = this.entries.at(-1);
    if (latest !== undefined && epoch <= latest.epoch) {
      if (epoch < latest.epoch) {
        this.logger?.warn({ epoch, startOffset, latest: latest.epoch }, 'ignoring an older leader epoch');
      }
      return false;
    }
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer: the largest epoch <= `requested` and the offset where the
   * next epoch starts (the log end offset when `requested` is the latest epoch); undefined values
   * when `requested` is newer than anything known.
   */
  endOffsetFor(requested: number, logEndOffset: bigint): EpochEndOffset {
    const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requested === UNDEFINED_EPOCH || this.entries.length === 0) return undefinedAnswer;
    if (requested === this.latestEpoch()) return { leaderEpoch: requested, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requested);
    if (higher === undefined) return undefinedAnswer;
    const floor = this.entries.filter((e) => e.epoch <= requested).at(-1);
    return { leaderEpoch: floor?.epoch ?? requested, endOffset: higher.startOffset };
  }

  /** Drops entries starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: bigint): boolean {
    const kept = this.entries.filter((e) => e.startOffset < endOffset);
    const changed = kept.length !== this.entries.length;
    this.entries = kept;
    return changed;
  }

  /** Drops entries wholly before `startOffset`; the entry covering it now starts there. */
  truncateFromStart(startOffset: bigint): boolean {
    let lastBefore = -1;
    for (let i = 0; i < this.entries.length; i++)
      if (this.entries[i]!.startOffset <= startOffset) lastBefore = i;
    if (lastBefore < 0) return false;
    const covering = this.entries[lastBefore]!;
    if (lastBefore === 0 && covering.startOffset === startOffset) return false;
    this.entries = [{ epoch: covering.epoch, startOffset }, ...this.entries.slice(lastBefore + 1)];
    return true;
  }

  clear(): boolean {
    const changed = this.entries.length > 0;
    this.entries = [];
    return changed;
  }

  async save(): Promise<void> {
    const lines = [
      '0',
      String(this.entries.length),
      ...this.entries.map((e) => `${e.epoch} ${e.startOffset}`),
    ];
    await writeFileAtomically(this.path, lines.join('\n') + '\n');
  }
}

function parseEpochCheckpoint(text: string, path: string): EpochEntry[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') throw new Error(`${path}: unknown checkpoint version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length !== count + 2) throw new Error(`${path}: bad entry count`);
  return lines.slice(2).map((line) => {
    const match = /^(\d+) (\d+)$/.exec(line);
    if (!match) throw new Error(`${path}: bad entry "${line}"`);
    return { epoch: Number(match[1]), startOffset: BigInt(match[2]!) };
  });
}
