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
 * is returned as a view of that chunk (no copy); frames spanning chunks are assembled once.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, or -1 while the 4-byte prefix itself is incomplete. */
  private frameSize = -1;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes received but not yet returned as part of a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let data = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.frameSize === -1 && this.pendingBytes >= 4) this.frameSize = this.checkSize(this.peekSize());
      if (this.frameSize === -1 || this.pendingBytes < 4 + this.frameSize) return frames;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let offset = 0;
    while (data.length - offset >= 4) {
      const size = this.checkSize(data.readInt32BE(offset));
      if (data.length - offset - 4 < size) break;
      frames.push(data.subarray(offset + 4, offset + 4 + size));
      offset += 4 + size;
    }
    this.frameSize = -1;
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      if (rest.length >= 4) this.frameSize = rest.readInt32BE(0);
    }
    return frames;
  }

  private peekSize(): number {
    const head =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    if (this.pending.length > 1) this.pending = [head];
    return head.readInt32BE(0);
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
