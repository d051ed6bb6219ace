import { ErrorCode } from '../../protocol/errors.js';
import {
  isControl,
  isTransactional,
  recordBatchSizeAt,
  validateRecordBatch,
} from '../../protocol/record-batch-header.js';
import { InvalidRecordsError, validateBatchRecords } from '../../protocol/record-batch-validation.js';
import { maxDecompressedBytes, type LogConfig } from '../log/log-config.js';

/**
 * What a leader checks of a client's batches before they reach the log (Kafka's LogValidator with
 * origin CLIENT; followers copy the leader's bytes and skip this): CRC first (2 CORRUPT_MESSAGE),
 * then no control batches (87, clients may not write them), no transactional batches (48: sluice has
 * no transaction coordinator, so no partition is ever in a transaction; Kafka 3.6+ answers an
 * unverified transactional produce so), a producer id needs a sequence (87), then every record
 * (protocol/record-batch-validation.ts), compressed ones inflated to at most
 * max.message.bytes × sluice.decompression.max.ratio.
 *
 * Throws InvalidRecordsError or CorruptRecordBatchError. Sizes against max.message.bytes (10) and a
 * truncated tail (2) are left to the log's own append checks, which run next.
 */
export function validateProducedRecords(
  records: Buffer,
  config: Pick<
    LogConfig,
    'maxMessageBytes' | 'decompressionMaxRatio' | 'messageTimestampDifferenceMaxMs' | 'messageTimestampType'
  >,
  nowMs: number,
): void {
  const maxDecompressed = maxDecompressedBytes(config);
  // LogAppendTime topics overwrite timestamps, so Kafka checks only CreateTime ones.
  const difference = config.messageTimestampDifferenceMaxMs;
  const timestampRange =
    config.messageTimestampType === 'CreateTime' && difference < Number.MAX_SAFE_INTEGER
      ? { min: nowMs - difference, max: nowMs + difference }
      : null;
  let position = 0;
  while (position < records.length) {
    const size = recordBatchSizeAt(records, position);
    if (size === null || size > records.length - position || size > config.maxMessageBytes) return;
    const header = validateRecordBatch(records, position);
    if (isControl(header.attributes)) {
      throw new InvalidRecordsError(
        ErrorCode.INVALID_RECORD,
        'clients may not write control records',
        null,
        position,
      );
    }
    if (isTransactional(header.attributes)) {
      throw new InvalidRecordsError(
        ErrorCode.INVALID_TXN_STATE,
        'transactional records need an ongoing transaction; this broker has no transaction coordinator',
        null,
        position,
      );
    }
    if (header.producerId >= 0n && header.baseSequence < 0) {
      throw new InvalidRecordsError(
        ErrorCode.INVALID_RECORD,
        `invalid sequence number ${header.baseSequence} for producer id ${header.producerId}`,
        null,
        position,
      );
    }
    validateBatchRecords(records, position, { maxDecompressedBytes: maxDecompressed, timestampRange });
    position += size;
  }
}
