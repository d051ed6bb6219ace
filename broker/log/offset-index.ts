import { FixedEntryIndex, readIndexFile } from './fixed-entry-index.js';

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

export class OffsetIndex extends FixedEntryIndex {
  private positions = new Uint32Array(16);

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
    this.ensureCapacity();
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
    const found = this.lastIndexWhere((i) => this.relativeOffsets[i]! <= target);
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(found);
  }

  /** The entry with the largest position <= `position` (positions grow with offsets); the start if none. */
  lookupPosition(position: number): OffsetPosition {
    const found = this.lastIndexWhere((i) => this.positions[i]! <= position);
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(found);
  }

  /**
   * Loads the index file. Returns null when the file is missing or fails the sanity check
   * (whole entries, strictly increasing, positions inside the log): the caller then rebuilds it.
   */
  static async load(path: string, baseOffset: bigint, logSize: number): Promise<OffsetIndex | null> {
    const buf = await readIndexFile(path, OFFSET_INDEX_ENTRY_SIZE);
    if (buf === null) return null;
    const index = new OffsetIndex(path, baseOffset);
    const n = buf.length / OFFSET_INDEX_ENTRY_SIZE;
    for (let i = 0; i < n; i++) {
      const rel = buf.readUInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const position = buf.readUInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (position >= logSize) return null;
      if (i > 0 && (rel <= index.relativeOffsets[i - 1]! || position <= index.positions[i - 1]!)) return null;
      index.ensureCapacity();
      index.relativeOffsets[i] = rel;
      index.positions[i] = position;
      index.count++;
    }
    return index;
  }

  protected entrySize(): number {
    return OFFSET_INDEX_ENTRY_SIZE;
  }

  protected writeEntry(buf: Buffer, at: number, i: number): void {
    buf.writeUInt32BE(this.relativeOffsets[i]!, at);
    buf.writeUInt32BE(this.positions[i]!, at + 4);
  }

  protected growColumns(capacity: number): void {
    const positions = new Uint32Array(capacity);
    positions.set(this.positions);
    this.positions = positions;
  }
}
