import { open, readFile } from 'node:fs/promises';

/**
 * The sparse offset index of one segment: entries (relative offset u32, file position u32), big-endian,
 * 8 bytes each, one per `index.interval.bytes` of batches. Each entry names the first offset of a batch
 * and where that batch starts, so a lookup finds the nearest batch at or before an offset and the
 * reader scans forward from there. Entries live in memory; the file is rewritten when the segment
 * rolls or the log closes (an unclean shutdown rebuilds the active segment's index from the log).
 */
export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

export class OffsetIndex {
  private relativeOffsets = new Uint32Array(16);
  private positions = new Uint32Array(16);
  private count = 0;
  private dirty = false;

  constructor(
    readonly path: string,
    readonly baseOffset: bigint,
  ) {}

  get entries(): number {
    return this.count;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** The last entry, or the segment start when the index is empty. */
  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 };
    return this.entryAt(this.count - 1);
  }

  entryAt(i: number): OffsetPosition {
    return { offset: this.baseOffset + BigInt(this.relativeOffsets[i]!), position: this.positions[i]! };
  }

  /** Adds an entry; offsets and positions must grow strictly (callers append in log order). */
  append(offset: bigint, position: number): void {
    const relative = Number(offset - this.baseOffset);
    if (this.count > 0) {
      const last = this.count - 1;
      if (relative <= this.relativeOffsets[last]! || position <= this.positions[last]!) {
        throw new Error(
          `offset index ${this.path}: entry (${offset}, ${position}) does not follow the last one`,
        );
      }
    }
    if (this.count === this.relativeOffsets.length) this.grow();
    this.relativeOffsets[this.count] = relative;
    this.positions[this.count] = position;
    this.count++;
    this.dirty = true;
  }

  /** The entry with the largest offset <= `offset` (binary search); the segment start if none. */
  lookup(offset: bigint): OffsetPosition {
    if (offset < this.baseOffset || this.count === 0) return { offset: this.baseOffset, position: 0 };
    const rel = offset - this.baseOffset;
    if (rel > 0xffffffffn) return this.lastEntry();
    const target = Number(rel);
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid]! <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(found);
  }

  /** Drops entries for batches starting at or after `offset` (log truncation). */
  truncateToOffset(offset: bigint): void {
    let keep = this.count;
    while (keep > 0 && this.baseOffset + BigInt(this.relativeOffsets[keep - 1]!) >= offset) keep--;
    if (keep !== this.count) {
      this.count = keep;
      this.dirty = true;
    }
  }

  clear(): void {
    this.count = 0;
    this.dirty = true;
  }

  /** Writes the whole index to its file (it is small: 8 bytes per 4 KiB of log) and optionally fsyncs. */
  async save({ sync }: { sync: boolean }): Promise<void> {
    const buf = Buffer.allocUnsafe(this.count * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = 0; i < this.count; i++) {
      buf.writeUInt32BE(this.relativeOffsets[i]!, i * OFFSET_INDEX_ENTRY_SIZE);
      buf.writeUInt32BE(this.positions[i]!, i * OFFSET_INDEX_ENTRY_SIZE + 4);
    }
    this.dirty = false;
    const handle = await open(this.path, 'w');
    try {
      await handle.writeFile(buf);
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Loads the index file. Returns null when the file is missing or fails the sanity check
   * (whole entries, strictly increasing, positions inside the log): the caller then rebuilds it.
   */
  static async load(path: string, baseOffset: bigint, logSize: number): Promise<OffsetIndex | null> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return null;
    const index = new OffsetIndex(path, baseOffset);
    const n = buf.length / OFFSET_INDEX_ENTRY_SIZE;
    for (let i = 0; i < n; i++) {
      const rel = buf.readUInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const position = buf.readUInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (position >= logSize) return null;
      if (i > 0 && (rel <= index.relativeOffsets[i - 1]! || position <= index.positions[i - 1]!)) return null;
      if (index.count === index.relativeOffsets.length) index.grow();
      index.relativeOffsets[i] = rel;
      index.positions[i] = position;
      index.count++;
    }
    return index;
  }

  private grow(): void {
    const offsets = new Uint32Array(this.relativeOffsets.length * 2);
    offsets.set(this.relativeOffsets);
    const positions = new Uint32Array(this.positions.length * 2);
    positions.set(this.positions);
    this.relativeOffsets = offsets;
    this.positions = positions;
  }
}
