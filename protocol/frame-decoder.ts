/** Default largest frame accepted (Kafka's socket.request.max.bytes default is 100 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

/** A size prefix announced a frame larger than allowed (or negative); the stream cannot be resynchronised. */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(
    readonly size: number,
    readonly maxFrameBytes: number,
  ) {
    super(
      size < 0
        ? `negative frame size ${size}`
        : `frame of ${size} bytes exceeds limit of ${maxFrameBytes} bytes`,
    );
  }
}

/**
 * Splits a TCP byte stream into frames prefixed by a 4-byte big-endian size. Pure: feed it chunks with
 * `push`, get back complete frame bodies (without the prefix). A frame that arrives whole inside one chunk
 * is returned as a view of that chunk (no copy). A frame spanning chunks gets its buffer once its size is
 * known (as Kafka's NetworkReceive allocates it; the size is bounded by maxFrameBytes) and each chunk is
 * copied in as it arrives: the copy reads bytes the kernel just wrote (still in cache), and the chunk can
 * be freed at once instead of waiting in a list for the frame's last byte (a 1 MB produce or fetch frame
 * spans ~16 socket reads).
 */
export class FrameDecoder {
  /** The 4-byte size prefix while it arrives split across chunks. */
  private readonly prefix = Buffer.alloc(4);
  private prefixBytes = 0;
  /** The frame body being assembled across chunks, and how many of its bytes have arrived. */
  private frame: Buffer | null = null;
  private frameFilled = 0;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes received but not yet returned as part of a frame. */
  get bufferedBytes(): number {
    return this.frame === null ? this.prefixBytes : 4 + this.frameFilled;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const frame = this.frame;
      if (frame !== null) {
        const take = Math.min(frame.length - this.frameFilled, chunk.length - offset);
        chunk.copy(frame, this.frameFilled, offset, offset + take);
        this.frameFilled += take;
        offset += take;
        if (this.frameFilled < frame.length) break;
        frames.push(frame);
        this.frame = null;
        this.frameFilled = 0;
        continue;
      }
      if (this.prefixBytes > 0 || chunk.length - offset < 4) {
        const take = Math.min(4 - this.prefixBytes, chunk.length - offset);
        chunk.copy(this.prefix, this.prefixBytes, offset, offset + take);
        this.prefixBytes += take;
        offset += take;
        if (this.prefixBytes < 4) break;
        this.prefixBytes = 0;
        const size = this.checkSize(this.prefix.readInt32BE(0));
        if (size === 0) frames.push(Buffer.alloc(0));
        else this.frame = Buffer.allocUnsafe(size);
        continue;
      }
      const size = this.checkSize(chunk.readInt32BE(offset));
      offset += 4;
      if (chunk.length - offset >= size) {
        frames.push(chunk.subarray(offset, offset + size));
        offset += size;
      } else {
        this.frame = Buffer.allocUnsafe(size);
      }
    }
    return frames;
  }

  private checkSize(size: number): number {
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    return size;
  }
}

/** Prefixes a frame body with its 4-byte size. */
export function frameWithSize(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}
