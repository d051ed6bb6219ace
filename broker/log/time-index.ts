import { open, readFile } from 'node:fs/promises';

/**
 * The sparse time index of one segment: entries (timestamp i64, relative offset u32), big-endian,
 * 12 bytes each. Timestamps only grow (an entry is added when a batch raises the segment's max
 * timestamp at an index interval), so a binary search finds the last entry with timestamp <= t; the
 * reader then scans batches from that offset for the first whose maxTimestamp >= t. The last entry
 * also gives a closed segment's newest timestamp, which time-based retention needs.
 */
export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

export class TimeIndex {
  private timestamps = new BigInt64Array(16);
  private relativeOffsets = new Uint32Array(16);
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

  lastEntry(): TimestampOffset | null {
    return this.count === 0 ? null : this.entryAt(this.count - 1);
  }

  entryAt(i: number): TimestampOffset {
    return { timestamp: this.timestamps[i]!, offset: this.baseOffset + BigInt(this.relativeOffsets[i]!) };
  }

  /** Adds an entry if it raises the newest timestamp (entries stay strictly increasing in both keys). */
  maybeAppend(timestamp: bigint, offset: bigint): void {
    const relative = Number(offset - this.baseOffset);
    if (this.count > 0) {
      const last = this.count - 1;
      if (timestamp <= this.timestamps[last]! || relative <= this.relativeOffsets[last]!) return;
    }
    if (this.count === this.timestamps.length) this.grow();
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = relative;
    this.count++;
    this.dirty = true;
  }

  /**
   * The entry with the largest timestamp strictly below `timestamp`; null if none. No batch up to that
   * entry's offset reaches `timestamp`, so a scan for the first batch with maxTimestamp >= `timestamp`
   * may start there.
   */
  lookupBefore(timestamp: bigint): TimestampOffset | null {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : this.entryAt(found);
  }

  /** Drops entries pointing at offsets >= `offset` (log truncation). */
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

  async save({ sync }: { sync: boolean }): Promise<void> {
    const buf = Buffer.allocUnsafe(this.count * TIME_INDEX_ENTRY_SIZE);
    for (let i = 0; i < this.count; i++) {
      buf.writeBigInt64BE(this.timestamps[i]!, i * TIME_INDEX_ENTRY_SIZE);
      buf.writeUInt32BE(this.relativeOffsets[i]!, i * TIME_INDEX_ENTRY_SIZE + 8);
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

  /** Loads the file; null when missing or not strictly increasing (the caller rebuilds it). */
  static async load(path: string, baseOffset: bigint, nextOffset: bigint): Promise<TimeIndex | null> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    const index = new TimeIndex(path, baseOffset);
    const n = buf.length / TIME_INDEX_ENTRY_SIZE;
    const maxRelative = nextOffset - baseOffset;
    for (let i = 0; i < n; i++) {
      const timestamp = buf.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE);
      const rel = buf.readUInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (BigInt(rel) >= maxRelative) return null;
      if (i > 0 && (timestamp <= index.timestamps[i - 1]! || rel <= index.relativeOffsets[i - 1]!))
        return null;
      if (index.count === index.timestamps.length) index.grow();
      index.timestamps[i] = timestamp;
      index.relativeOffsets[i] = rel;
      index.count++;
    }
    return index;
  }

  private grow(): void {
    const ts = new BigInt64Array(this.timestamps.length * 2);
    ts.set(this.timestamps);
    const offsets = new Uint32Array(this.relativeOffsets.length * 2);
    offsets.set(this.relativeOffsets);
    this.timestamps = ts;
    this.relativeOffsets = offsets;
  }
}
