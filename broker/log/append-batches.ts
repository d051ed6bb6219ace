import {
  CorruptRecordBatchError,
  recordBatchSizeAt,
  validateRecordBatch,
} from '../../protocol/record-batch-header.js';
import { MessageTooLargeError } from './log-errors.js';

/** What the log keeps of each incoming batch: where it is and what the header says. */
export interface IncomingBatch {
  /** Byte position inside the append buffer. */
  position: number;
  size: number;
  /** The offset the producer (or, for a follower, the leader) wrote. */
  baseOffset: bigint;
  lastOffsetDelta: number;
  maxTimestamp: bigint;
  recordsCount: number;
  partitionLeaderEpoch: number;
}

/**
 * Validates a produce payload (one or more magic-2 batches back to back) without decoding records:
 * each batch's size against max.message.bytes (code 10), then header, magic, length and CRC-32C
 * (code 2; `crcVerified`: the caller already checked it). Throws before anything is written, so an
 * append is all or nothing.
 */
export function inspectAppendBatches(
  buf: Buffer,
  maxMessageBytes: number,
  options: { crcVerified?: boolean } = {},
): IncomingBatch[] {
  if (buf.length === 0) throw new CorruptRecordBatchError('append holds no record batch', 0);
  const batches: IncomingBatch[] = [];
  let position = 0;
  while (position < buf.length) {
    const size = recordBatchSizeAt(buf, position);
    if (size === null) {
      throw new CorruptRecordBatchError(`trailing ${buf.length - position} bytes are not a batch`, position);
    }
    if (size > maxMessageBytes) throw new MessageTooLargeError(size, maxMessageBytes);
    const header = validateRecordBatch(buf, position, { skipCrc: options.crcVerified });
    if (header.lastOffsetDelta < 0) {
      throw new CorruptRecordBatchError(`negative lastOffsetDelta ${header.lastOffsetDelta}`, position);
    }
    batches.push({
      position,
      size,
      baseOffset: header.baseOffset,
      lastOffsetDelta: header.lastOffsetDelta,
      maxTimestamp: header.maxTimestamp,
      recordsCount: header.recordsCount,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
    });
    position += size;
  }
  return batches;
}
