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
  /** A frame whose size `claim` refused, and the bytes after its prefix, kept until `resume`. */
  private waitingSize = -1;
  private waiting: Buffer[] = [];

  /**
   * @param claim asked for every non-empty frame's size once its prefix is read, before its buffer
   * exists (a memory budget); when it says no, decoding stops until `resume` is granted.
   */
  constructor(
    readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    private readonly claim: (size: number) => boolean = () => true,
  ) {}

  /** Bytes received but not yet returned as part of a frame. */
  get bufferedBytes(): number {
    if (this.waitingSize >= 0) return 4 + this.waiting.reduce((sum, b) => sum + b.length, 0);
    return this.frame === null ? this.prefixBytes : 4 + this.frameFilled;
  }

  /** Whether decoding stopped because `claim` refused a frame (call `resume` to retry). */
  get waitingForClaim(): boolean {
    return this.waitingSize >= 0;
  }

  /** The size of the frame being assembled (claimed, not yet returned); 0 when none. */
  get claimedPartialBytes(): number {
    return this.frame === null ? 0 : this.frame.length;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.waitingSize >= 0) {
      this.waiting.push(chunk);
      return [];
    }
    const frames: Buffer[] = [];
    this.consume(chunk, 0, frames);
    return frames;
  }

  /** Retries the refused claim; on success decodes what arrived meanwhile. */
  resume(): Buffer[] {
    const frames: Buffer[] = [];
    if (this.waitingSize < 0 || !this.claim(this.waitingSize)) return frames;
    const size = this.waitingSize;
    const rest = Buffer.concat(this.waiting);
    this.waitingSize = -1;
    this.waiting = [];
    const offset = this.beginFrame(size, rest, 0, frames, true);
    if (offset !== null) this.consume(rest, offset, frames);
    return frames;
  }

  private consume(chunk: Buffer, start: number, frames: Buffer[]): void {
    let offset = start;
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
      let size: number;
      if (this.prefixBytes > 0 || chunk.length - offset < 4) {
        const take = Math.min(4 - this.prefixBytes, chunk.length - offset);
        chunk.copy(this.prefix, this.prefixBytes, offset, offset + take);
        this.prefixBytes += take;
        offset += take;
        if (this.prefixBytes < 4) break;
        this.prefixBytes = 0;
        size = this.checkSize(this.prefix.readInt32BE(0));
      } else {
        size = this.checkSize(chunk.readInt32BE(offset));
        offset += 4;
      }
      const next = this.beginFrame(size, chunk, offset, frames);
      if (next === null) return;
      offset = next;
    }
  }

  /** Starts a frame of `size` at `offset`; null when its claim was refused (the rest is kept). */
  private beginFrame(
    size: number,
    chunk: Buffer,
    offset: number,
    frames: Buffer[],
    claimed = false,
  ): number | null {
    if (size === 0) {
      frames.push(Buffer.alloc(0));
      return offset;
    }
    if (!claimed && !this.claim(size)) {
      this.waitingSize = size;
      // A copy: the socket's chunk would otherwise stay alive for as long as the wait lasts.
      this.waiting = offset < chunk.length ? [Buffer.from(chunk.subarray(offset))] : [];
      return null;
    }
    if (chunk.length - offset >= size) {
      frames.push(chunk.subarray(offset, offset + size));
      return offset + size;
    }
    this.frame = Buffer.allocUnsafe(size);
    return offset;
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
