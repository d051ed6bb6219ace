import { StreamedBytes } from '../../protocol/primitives/streamed-bytes.js';
import type { LogSegment } from './log-segment.js';

/** Largest piece a record slice reads from its file at once: what one fetch holds in memory. */
export const SLICE_PIECE_BYTES = 1024 * 1024;

/**
 * Whole batches a read found, not yet copied out: a range of a segment file, or views of the tail
 * cache. A Fetch response streams them (`pieces`), so its memory stays at one piece however much it
 * asks for; `bytes` joins them for callers that want one buffer.
 */
export abstract class RecordSlice extends StreamedBytes {
  abstract bytes(): Promise<Buffer>;
}

/** Batches already in memory (tail cache views, or nothing). */
export class MemoryRecordSlice extends RecordSlice {
  readonly length: number;

  constructor(private readonly buffers: readonly Buffer[]) {
    super();
    this.length = buffers.reduce((sum, b) => sum + b.length, 0);
  }

  async bytes(): Promise<Buffer> {
    return this.buffers.length === 1 ? this.buffers[0]! : Buffer.concat(this.buffers, this.length);
  }

  async *pieces(): AsyncIterable<Buffer> {
    yield* this.buffers;
  }
}

/**
 * `length` bytes of a segment file from `position` (whole batches, sized from headers before reading).
 * Retention or truncation can shrink the file before the bytes are read; the size is already on the
 * wire then, so reading fails and the sender closes the connection (the client retries).
 */
export class FileRecordSlice extends RecordSlice {
  constructor(
    private readonly segment: LogSegment,
    private readonly position: number,
    readonly length: number,
  ) {
    super();
  }

  async bytes(): Promise<Buffer> {
    return this.readAt(this.position, this.length);
  }

  async *pieces(): AsyncIterable<Buffer> {
    for (let done = 0; done < this.length;) {
      const piece = await this.readAt(this.position + done, Math.min(SLICE_PIECE_BYTES, this.length - done));
      done += piece.length;
      yield piece;
    }
  }

  private async readAt(position: number, length: number): Promise<Buffer> {
    const bytes = await this.segment.read(position, length);
    if (bytes.length < length) {
      throw new Error(`segment ${this.segment.baseOffset} shrank under a read at ${position}`);
    }
    return bytes;
  }
}

export const EMPTY_SLICE: RecordSlice = new MemoryRecordSlice([]);
