import { FixedEntryIndex, readIndexFile } from './fixed-entry-index.js';

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

export class TimeIndex extends FixedEntryIndex {
  private timestamps = new BigInt64Array(16);

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
    this.ensureCapacity();
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
    const found = this.lastIndexWhere((i) => this.timestamps[i]! < timestamp);
    return found < 0 ? null : this.entryAt(found);
  }

  /** Loads the file; null when missing or not strictly increasing (the caller rebuilds it). */
  static async load(path: string, baseOffset: bigint, nextOffset: bigint): Promise<TimeIndex | null> {
    const buf = await readIndexFile(path, TIME_INDEX_ENTRY_SIZE);
    if (buf === null) return null;
    const index = new TimeIndex(path, baseOffset);
    const n = buf.length / TIME_INDEX_ENTRY_SIZE;
    const maxRelative = nextOffset - baseOffset;
    for (let i = 0; i < n; i++) {
      const timestamp = buf.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE);
      const rel = buf.readUInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (BigInt(rel) >= maxRelative) return null;
      if (i > 0 && (timestamp <= index.timestamps[i - 1]! || rel <= index.relativeOffsets[i - 1]!))
        return null;
      index.ensureCapacity();
      index.timestamps[i] = timestamp;
      index.relativeOffsets[i] = rel;
      index.count++;
    }
    return index;
  }

  protected entrySize(): number {
    return TIME_INDEX_ENTRY_SIZE;
  }

  protected writeEntry(buf: Buffer, at: number, i: number): void {
    buf.writeBigInt64BE(this.timestamps[i]!, at);
    buf.writeUInt32BE(this.relativeOffsets[i]!, at + 8);
  }

  protected growColumns(capacity: number): void {
    const timestamps = new BigInt64Array(capacity);
    timestamps.set(this.timestamps);
    this.timestamps = timestamps;
  }
}
