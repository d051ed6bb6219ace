import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../../protocol/compression-codec.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import {
  compressionOf,
  computeRecordBatchCrc,
  CorruptRecordBatchError,
  isTransactional,
  recordBatchesIn,
  RecordBatchField,
  timestampTypeOf,
  TimestampType,
  validateRecordBatch,
} from '../../../../protocol/record-batch-header.js';
import { recompressRecordBatches } from '../../../../protocol/record-batch-recompression.js';
import { ALL_COMPRESSION_CODECS } from '../../../support/compression-codecs.js';
import { comparable, recordsArb } from '../../../support/record-batch-arbitraries.js';

const codecArb = fc.constantFrom(...ALL_COMPRESSION_CODECS);

describe('recompressRecordBatches', () => {
  it('rewrites every batch into the codec; records, offsets and idempotence fields unchanged; CRC valid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(recordsArb, codecArb), { minLength: 1, maxLength: 3 }),
        codecArb,
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        fc.integer({ min: 0, max: 2 ** 20 }),
        async (batches, target, producerId, baseSequence) => {
          let offset = 0n;
          const input = Buffer.concat(
            batches.map(([records, codec], i) => {
              const batch = encodeRecordBatchSync({
                records,
                baseOffset: offset,
                compression: codec,
                timestampType: i % 2 === 0 ? TimestampType.CreateTime : TimestampType.LogAppendTime,
                isTransactional: i === 1,
                producerId,
                producerEpoch: 3,
                baseSequence: baseSequence + Number(offset),
                partitionLeaderEpoch: 7,
              });
              offset += BigInt(records.length);
              return batch;
            }),
          );
          const output = await recompressRecordBatches(input, target);
          const before = [...recordBatchesIn(input)];
          const after = [...recordBatchesIn(output)];
          expect(after).toHaveLength(before.length);
          for (let i = 0; i < after.length; i++) {
            const a = after[i]!.header;
            const b = before[i]!.header;
            validateRecordBatch(output, after[i]!.offset);
            expect(compressionOf(a.attributes)).toBe(target);
            expect(timestampTypeOf(a.attributes)).toBe(timestampTypeOf(b.attributes));
            expect(isTransactional(a.attributes)).toBe(isTransactional(b.attributes));
            const { crc: _a, batchLength: _al, attributes: _aa, ...keptA } = a;
            const { crc: _b, batchLength: _bl, attributes: _ba, ...keptB } = b;
            expect(keptA).toEqual(keptB);
          }
          expect(comparable(decodeRecordBatchesSync(output).map((d) => d.records))).toEqual(
            comparable(decodeRecordBatchesSync(input).map((d) => d.records)),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('returns the input itself when every batch is already in the codec', async () => {
    const input = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('v') }],
      compression: CompressionCodec.Lz4,
    });
    expect(await recompressRecordBatches(input, CompressionCodec.Lz4)).toBe(input);
  });

  it('refuses a batch whose CRC is wrong instead of giving it a fresh one', async () => {
    const input = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('value') }],
      compression: CompressionCodec.Gzip,
    });
    input[input.length - 1] ^= 0xff;
    await expect(recompressRecordBatches(input, CompressionCodec.Lz4)).rejects.toBeInstanceOf(
      CorruptRecordBatchError,
    );
  });

  it('refuses a batch whose compressed records do not decompress (CORRUPT_MESSAGE)', async () => {
    const input = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('value') }],
      compression: CompressionCodec.None,
    });
    // Claim gzip for plain bytes, with a CRC that matches the lie.
    input.writeInt16BE(CompressionCodec.Gzip, RecordBatchField.attributes);
    input.writeUInt32BE(computeRecordBatchCrc(input), RecordBatchField.crc);
    await expect(recompressRecordBatches(input, CompressionCodec.Lz4)).rejects.toMatchObject({ code: 2 });
  });
});
