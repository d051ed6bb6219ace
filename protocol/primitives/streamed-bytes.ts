/**
 * Bytes of a known length that an encoded message refers to but does not hold: a Fetch response's
 * record set, read from the log while it is sent. The encoder writes the length prefix; the sender
 * asks for the bytes a bounded piece at a time, so a response is never in memory whole.
 */
export abstract class StreamedBytes {
  abstract readonly length: number;
  /** The bytes in order, a bounded piece at a time; `length` bytes in all. */
  abstract pieces(): AsyncIterable<Buffer>;
}

/** One piece of an encoded frame: bytes in memory, or bytes to stream. */
export type FramePiece = Buffer | StreamedBytes;

/**
 * A `records` field's value when it is streamed. The declared type of `records` is Buffer (what
 * decoding yields); the encoder also takes StreamedBytes, which only the sending side builds.
 */
export function streamedRecords(bytes: StreamedBytes): Buffer {
  return bytes as unknown as Buffer;
}
