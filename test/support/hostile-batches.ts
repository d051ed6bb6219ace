import { CompressionCodec } from '../../protocol/compression-codec.js';
import {
  computeRecordBatchCrc,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchField,
} from '../../protocol/record-batch-header.js';
import { encodeRecordBatchSync, type RecordInput } from '../../protocol/record-batch.js';

/**
 * Batches a hostile client could send: well-formed headers with a recomputed CRC, lying about their
 * records. Shared by the unit tests of the record walk and the hostile tests against a real broker.
 */

/** Rewrites the batch's CRC after the caller edited it, as an attacker would. */
export function withFreshCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(computeRecordBatchCrc(batch, 0), RecordBatchField.crc);
  return batch;
}

export function plainBatch(records: RecordInput[], options: { codec?: CompressionCodec } = {}): Buffer {
  return encodeRecordBatchSync({ records, compression: options.codec ?? CompressionCodec.None });
}

/** One record whose length varint says 100 bytes more than there are (kcat's "Read underflow"). */
export function lyingRecordLengthBatch(): Buffer {
  const batch = plainBatch([{ key: null, value: Buffer.from('hello') }]);
  // The first record's length is a one-byte zigzag varint right after the header.
  const length = batch[RECORD_BATCH_HEADER_SIZE]! >> 1;
  batch[RECORD_BATCH_HEADER_SIZE] = (length + 100) << 1;
  return withFreshCrc(batch);
}

/** One record, but recordsCount says `count`. */
export function recordsCountBatch(count: number): Buffer {
  const batch = plainBatch([{ key: null, value: Buffer.from('one') }]);
  batch.writeInt32BE(count, RecordBatchField.recordsCount);
  return withFreshCrc(batch);
}

/** `records` records, but lastOffsetDelta says `delta` (the log end offset would jump by it). */
export function lastOffsetDeltaBatch(delta: number, records = 1): Buffer {
  const batch = plainBatch(
    Array.from({ length: records }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`) })),
  );
  batch.writeInt32BE(delta, RecordBatchField.lastOffsetDelta);
  return withFreshCrc(batch);
}

/** A valid batch of one record whose value is `inflatedBytes` of zeros, compressed with `codec`. */
export function bombBatch(codec: CompressionCodec, inflatedBytes: number): Buffer {
  return plainBatch([{ key: null, value: Buffer.alloc(inflatedBytes) }], { codec });
}

/** A batch with attribute bits set (0x10 transactional, 0x20 control), as a client cannot legally send. */
export function attributeBatch(options: {
  isControl?: boolean;
  isTransactional?: boolean;
  producerId?: bigint;
}): Buffer {
  return encodeRecordBatchSync({
    records: [
      options.isControl
        ? { key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }
        : { key: null, value: Buffer.from('txn') },
    ],
    isControl: options.isControl ?? false,
    isTransactional: options.isTransactional ?? false,
    producerId: options.producerId ?? 7n,
    producerEpoch: 0,
    baseSequence: 0,
  });
}
