import { open, readFile } from 'node:fs/promises';

/**
 * What the offset and time indexes share: fixed-size big-endian entries held in growable typed-array
 * columns (one of them always the u32 offset relative to the segment base), truncation by offset, a
 * binary search over a monotone column, and whole-file save/load. Subclasses own their other column
 * and the entry layout.
 */
export abstract class FixedEntryIndex {
  protected relativeOffsets = new Uint32Array(16);
  protected count = 0;
  protected dirty = false;

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

  /** Writes the whole index to its file (it is small) and optionally fsyncs. */
  async save({ sync }: { sync: boolean }): Promise<void> {
    const size = this.entrySize();
    const buf = Buffer.allocUnsafe(this.count * size);
    for (let i = 0; i < this.count; i++) this.writeEntry(buf, i * size, i);
    this.dirty = false;
    const handle = await open(this.path, 'w');
    try {
      await handle.writeFile(buf);
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  protected abstract entrySize(): number;

  protected abstract writeEntry(buf: Buffer, at: number, i: number): void;

  /** Grows the subclass's own columns to `capacity` entries, keeping their contents. */
  protected abstract growColumns(capacity: number): void;

  /** Makes room for one more entry. */
  protected ensureCapacity(): void {
    if (this.count < this.relativeOffsets.length) return;
    const capacity = this.relativeOffsets.length * 2;
    const offsets = new Uint32Array(capacity);
    offsets.set(this.relativeOffsets);
    this.relativeOffsets = offsets;
    this.growColumns(capacity);
  }

  /** The largest entry index for which `holds` is true (it must hold for a prefix), or -1. */
  protected lastIndexWhere(holds: (i: number) => boolean): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (holds(mid)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

/** An index file's bytes; null when it is missing or not a whole number of entries (so: rebuild). */
export async function readIndexFile(path: string, entrySize: number): Promise<Buffer | null> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return buf.length % entrySize === 0 ? buf : null;
}
