import { describe, expect, it } from 'vitest';
import { validateProducedRecords } from '../../../../broker/replica/produce-validation.js';
import { CompressionCodec } from '../../../../protocol/compression.js';
import { encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import { CorruptRecordBatchError, RecordBatchField } from '../../../../protocol/record-batch-header.js';
import { InvalidRecordsError } from '../../../../protocol/record-batch-validation.js';
import { attributeBatch, bombBatch, recordsCountBatch } from '../../../support/hostile-batches.js';

const NOW = 1_700_000_000_000;
const CONFIG = {
  maxMessageBytes: 1024 * 1024,
  decompressionMaxRatio: 4,
  messageTimestampDifferenceMaxMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime' as 'CreateTime' | 'LogAppendTime',
};

function codeOf(records: Buffer, config = CONFIG): number | null {
  try {
    validateProducedRecords(records, config, NOW);
    return null;
  } catch (error) {
    if (error instanceof InvalidRecordsError || error instanceof CorruptRecordBatchError) return error.code;
    throw error;
  }
}

const good = (): Buffer =>
  encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('x'), timestamp: BigInt(NOW) }] });

describe('validateProducedRecords (leader policy for client batches)', () => {
  it('accepts ordinary and idempotent batches, several back to back', () => {
    const idempotent = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('y') }],
      producerId: 3n,
      producerEpoch: 0,
      baseSequence: 0,
    });
    expect(codeOf(Buffer.concat([good(), good(), idempotent]))).toBeNull();
  });

  it('refuses control batches from clients with 87 INVALID_RECORD', () => {
    expect(codeOf(attributeBatch({ isControl: true, isTransactional: true }))).toBe(87);
    expect(codeOf(attributeBatch({ isControl: true }))).toBe(87);
  });

  it('refuses transactional batches with 48 INVALID_TXN_STATE (no transaction can be ongoing)', () => {
    expect(codeOf(attributeBatch({ isTransactional: true }))).toBe(48);
  });

  it('refuses a producer id without a sequence (87)', () => {
    const batch = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('z') }],
      producerId: 3n,
      producerEpoch: 0,
      baseSequence: -1,
    });
    expect(codeOf(batch)).toBe(87);
  });

  it('checks the CRC before the records: a damaged batch is 2, not a record error', () => {
    const batch = recordsCountBatch(1000);
    batch.writeUInt32BE(0, RecordBatchField.crc);
    expect(codeOf(batch)).toBe(2);
  });

  it('finds a bad batch behind a good one', () => {
    expect(codeOf(Buffer.concat([good(), recordsCountBatch(1000)]))).toBe(87);
  });

  it('bounds decompression by max.message.bytes x the ratio', () => {
    const bomb = bombBatch(CompressionCodec.Zstd, 5 * 1024 * 1024);
    expect(codeOf(bomb)).toBe(87);
    expect(codeOf(bomb, { ...CONFIG, decompressionMaxRatio: 8 })).toBeNull();
  });

  it('leaves oversized batches to the log (10 MESSAGE_TOO_LARGE there)', () => {
    expect(codeOf(recordsCountBatch(1000), { ...CONFIG, maxMessageBytes: 64 })).toBeNull();
  });

  it('checks timestamps only for CreateTime topics with a finite difference', () => {
    const old = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('x'), timestamp: BigInt(NOW - 60_000) }],
    });
    const strict = { ...CONFIG, messageTimestampDifferenceMaxMs: 1000 };
    expect(codeOf(old)).toBeNull();
    expect(codeOf(old, strict)).toBe(32);
    expect(codeOf(old, { ...strict, messageTimestampType: 'LogAppendTime' })).toBeNull();
  });
});
