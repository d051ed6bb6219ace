import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec, compressSync } from '../../../../protocol/compression.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import {
  LegacyMessageSetError,
  readLegacyMessages,
  readLegacyMessageSet,
  upConvertLegacyMessageSet,
} from '../../../../protocol/legacy-message-set.js';
import { decodeRecordBatchesSync } from '../../../../protocol/record-batch.js';
import {
  compressionOf,
  TimestampType,
  timestampTypeOf,
  verifyRecordBatchCrc,
} from '../../../../protocol/record-batch-header.js';
import { xerial } from '../../../support/compression-codecs.js';
import {
  compressedLegacyMessageSet,
  FIRST_MESSAGE_CRC_POSITION,
  legacyMessageSet,
  resealFirstMessage,
  wrapLegacyMessageSet,
  type LegacyMessageInput,
} from '../../../support/legacy-message-set.js';
import { bytesArb } from '../../../support/record-batch-arbitraries.js';
import { thrownCode, thrownCodeAsync } from '../../../support/thrown-code.js';

const LEGACY_CODECS = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4] as const;

const messages: LegacyMessageInput[] = [
  { key: 'k0', value: 'first', timestamp: 1_700_000_000_000n },
  { key: null, value: 'no key', timestamp: 1_700_000_000_001n },
  { key: 'k2', value: null, timestamp: 1_700_000_000_002n },
  { key: '', value: '', timestamp: 1_700_000_000_003n },
];

const text = (b: Buffer | null) => (b === null ? null : b.toString());

/** Key, value and timestamp of every record of the up-converted batch, and the batch's header. */
async function upConverted(set: Buffer) {
  const out = await upConvertLegacyMessageSet(set);
  const batches = decodeRecordBatchesSync(out);
  expect(batches).toHaveLength(1);
  expect(verifyRecordBatchCrc(out)).toBe(true);
  const [batch] = batches;
  return {
    header: batch!.header,
    codec: compressionOf(batch!.header.attributes),
    records: batch!.records.map((r) => ({
      offset: r.offset,
      key: text(r.key),
      value: text(r.value),
      timestamp: r.timestamp,
      headers: r.headers,
    })),
  };
}

const expected = (timestamps: 'own' | 'none') =>
  messages.map((m, i) => ({
    offset: BigInt(i),
    key: m.key,
    value: m.value,
    timestamp: timestamps === 'own' ? m.timestamp : -1n,
    headers: [],
  }));

const codeOf = (run: () => unknown) => thrownCode(run, LegacyMessageSetError);
const codeOfAsync = (run: () => Promise<unknown>) => thrownCodeAsync(run, LegacyMessageSetError);

describe('reading legacy message sets (kafkajs-written)', () => {
  it('magic 0 and 1 messages: key, value (null and empty kept apart), timestamp only in magic 1', () => {
    const v0 = readLegacyMessages(legacyMessageSet(0, messages));
    expect(v0.map((m) => [m.magic, text(m.key), text(m.value), m.timestamp])).toEqual(
      messages.map((m) => [0, m.key, m.value, -1n]),
    );
    const v1 = readLegacyMessages(legacyMessageSet(1, messages));
    expect(v1.map((m) => [m.magic, text(m.key), text(m.value), m.timestamp])).toEqual(
      messages.map((m) => [1, m.key, m.value, m.timestamp]),
    );
  });
});

describe('up-conversion to one magic-2 batch', () => {
  it('magic 0, uncompressed: records in order, timestamps -1 as CreateTime, no producer id', async () => {
    const { header, codec, records } = await upConverted(legacyMessageSet(0, messages));
    expect(codec).toBe(CompressionCodec.None);
    expect(records).toEqual(expected('none'));
    expect(header).toMatchObject({
      magic: 2,
      baseOffset: 0n,
      lastOffsetDelta: messages.length - 1,
      recordsCount: messages.length,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      baseTimestamp: -1n,
      maxTimestamp: -1n,
    });
    expect(timestampTypeOf(header.attributes)).toBe(TimestampType.CreateTime);
  });

  it('magic 1, uncompressed: each record keeps its timestamp', async () => {
    const { header, codec, records } = await upConverted(legacyMessageSet(1, messages));
    expect(codec).toBe(CompressionCodec.None);
    expect(records).toEqual(expected('own'));
    expect(header.maxTimestamp).toBe(messages[3]!.timestamp);
  });

  for (const codec of LEGACY_CODECS) {
    for (const magic of [0, 1] as const) {
      it(`magic ${magic} wrapper in ${CompressionCodec[codec]}: the batch keeps the codec and every record`, async () => {
        const converted = await upConverted(compressedLegacyMessageSet(magic, codec, messages));
        expect(converted.codec).toBe(codec);
        expect(converted.records).toEqual(expected(magic === 1 ? 'own' : 'none'));
      });
    }
  }

  it('snappy in xerial framing (the Java client) is read too', async () => {
    const set = compressedLegacyMessageSet(1, CompressionCodec.Snappy, messages, {
      compress: (inner) => xerial([inner.subarray(0, 50), inner.subarray(50)]),
    });
    const converted = await upConverted(set);
    expect(converted.codec).toBe(CompressionCodec.Snappy);
    expect(converted.records).toEqual(expected('own'));
  });

  it("magic-0 LZ4 with Kafka's broken frame header checksum is read", async () => {
    const set = compressedLegacyMessageSet(0, CompressionCodec.Lz4, messages, {
      compress: (inner) => {
        const frame = compressSync(CompressionCodec.Lz4, inner);
        // Magic, FLG, BD, [content size when FLG bit 3], then the header checksum byte.
        const hcPosition = 6 + ((frame[4]! & 0x08) !== 0 ? 8 : 0);
        frame[hcPosition] = frame[hcPosition]! ^ 0xff;
        return frame;
      },
    });
    const converted = await upConverted(set);
    expect(converted.codec).toBe(CompressionCodec.Lz4);
    expect(converted.records).toEqual(expected('none'));
  });

  it("a magic-1 wrapper marked LogAppendTime gives every record the wrapper's timestamp", async () => {
    const set = compressedLegacyMessageSet(1, CompressionCodec.Gzip, messages, {
      timestamp: 1_800_000_000_000n,
      logAppendTime: true,
    });
    const converted = await upConverted(set);
    expect(converted.records.map((r) => r.timestamp)).toEqual(messages.map(() => 1_800_000_000_000n));
  });

  it('any messages round-trip: keys, values, timestamps, codec (property)', async () => {
    const messageArb = fc.record({
      key: fc.option(bytesArb(40), { nil: null }),
      value: fc.option(bytesArb(400), { nil: null }),
      timestamp: fc.bigInt({ min: -1n, max: 2n ** 42n }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(0 as const, 1 as const),
        fc.constantFrom(CompressionCodec.None, ...LEGACY_CODECS),
        async (input, magic, codec) => {
          const set =
            codec === CompressionCodec.None
              ? legacyMessageSet(magic, input)
              : compressedLegacyMessageSet(magic, codec, input);
          const out = decodeRecordBatchesSync(await upConvertLegacyMessageSet(set));
          expect(out).toHaveLength(1);
          expect(compressionOf(out[0]!.header.attributes)).toBe(codec);
          expect(
            out[0]!.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })),
          ).toEqual(
            input.map((m) => ({ key: m.key, value: m.value, timestamp: magic === 1 ? m.timestamp : -1n })),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('refusals, with Kafka error codes', () => {
  const plain = () => legacyMessageSet(1, messages.slice(0, 2));

  it('a wrong CRC is 2 CORRUPT_MESSAGE, outer or inner', async () => {
    const outer = plain();
    outer[FIRST_MESSAGE_CRC_POSITION + 3]! ^= 0x01;
    expect(codeOf(() => readLegacyMessages(outer))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const flipped = legacyMessageSet(0, messages);
    flipped[flipped.length - 1]! ^= 0x20; // a value byte of the last message
    expect(codeOf(() => readLegacyMessages(flipped))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const inner = legacyMessageSet(1, messages);
    inner[FIRST_MESSAGE_CRC_POSITION]! ^= 0x80;
    const wrapped = wrapLegacyMessageSet(
      1,
      CompressionCodec.Gzip,
      compressSync(CompressionCodec.Gzip, inner),
    );
    expect(await codeOfAsync(() => readLegacyMessageSet(wrapped))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('bad sizes, truncation and unknown magic are 2 CORRUPT_MESSAGE', () => {
    const tooSmall = plain();
    tooSmall.writeInt32BE(13, 8);
    expect(codeOf(() => readLegacyMessages(tooSmall))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const tooLarge = plain();
    tooLarge.writeInt32BE(tooLarge.readInt32BE(8) + 1_000, 8);
    expect(codeOf(() => readLegacyMessages(tooLarge))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const set = plain();
    expect(codeOf(() => readLegacyMessages(set.subarray(0, set.length - 1)))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(codeOf(() => readLegacyMessages(Buffer.concat([set, Buffer.alloc(5)])))).toBe(
      ErrorCode.CORRUPT_MESSAGE,
    );
    const magic3 = legacyMessageSet(1, messages.slice(0, 1));
    magic3[FIRST_MESSAGE_CRC_POSITION + 4] = 3;
    resealFirstMessage(magic3);
    expect(codeOf(() => readLegacyMessages(magic3))).toBe(ErrorCode.CORRUPT_MESSAGE);
    // A magic-1 message too short for its timestamp.
    const short = legacyMessageSet(0, [{ key: null, value: null }]);
    short[FIRST_MESSAGE_CRC_POSITION + 4] = 1;
    resealFirstMessage(short);
    expect(codeOf(() => readLegacyMessages(short))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('key or value lengths that do not fill the message exactly are 2 CORRUPT_MESSAGE', () => {
    const overlong = legacyMessageSet(0, [{ key: 'abc', value: 'def' }]);
    overlong.writeInt32BE(100, FIRST_MESSAGE_CRC_POSITION + 6); // key length
    resealFirstMessage(overlong);
    expect(codeOf(() => readLegacyMessages(overlong))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const negative = legacyMessageSet(0, [{ key: 'abc', value: 'def' }]);
    negative.writeInt32BE(-2, FIRST_MESSAGE_CRC_POSITION + 6);
    resealFirstMessage(negative);
    expect(codeOf(() => readLegacyMessages(negative))).toBe(ErrorCode.CORRUPT_MESSAGE);
    // One extra byte after the value, counted in the size and covered by the CRC.
    const set = legacyMessageSet(0, [{ key: 'abc', value: 'def' }]);
    const padded = Buffer.concat([set, Buffer.from([0x2a])]);
    padded.writeInt32BE(set.readInt32BE(8) + 1, 8);
    resealFirstMessage(padded);
    expect(codeOf(() => readLegacyMessages(padded))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('compressed data that does not decode is 2 CORRUPT_MESSAGE; an unknown codec id too', async () => {
    for (const codec of LEGACY_CODECS) {
      const garbage = wrapLegacyMessageSet(0, codec, Buffer.from('definitely not compressed data'));
      expect(await codeOfAsync(() => readLegacyMessageSet(garbage))).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
    const codec6 = wrapLegacyMessageSet(1, 6, Buffer.from('x'));
    expect(await codeOfAsync(() => readLegacyMessageSet(codec6))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('zstd (magic 2 only) is 76 UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const zstd = compressedLegacyMessageSet(1, CompressionCodec.Zstd, messages);
    expect(await codeOfAsync(() => readLegacyMessageSet(zstd))).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('well-formed but not allowed is 87 INVALID_RECORD', async () => {
    const wrapper = () => compressedLegacyMessageSet(1, CompressionCodec.Gzip, messages);
    const cases: Record<string, Buffer> = {
      'mixed magics': Buffer.concat([legacyMessageSet(0, messages), legacyMessageSet(1, messages)]),
      'two wrappers': Buffer.concat([wrapper(), wrapper()]),
      'a wrapper and a plain message': Buffer.concat([legacyMessageSet(1, messages), wrapper()]),
      'nested compression': compressedLegacyMessageSet(1, CompressionCodec.Gzip, [], {
        compress: () => compressSync(CompressionCodec.Gzip, wrapper()),
      }),
      'a wrapper with a null value': wrapLegacyMessageSet(1, CompressionCodec.Gzip, null),
      'a wrapper with no inner messages': wrapLegacyMessageSet(
        1,
        CompressionCodec.Gzip,
        compressSync(CompressionCodec.Gzip, Buffer.alloc(0)),
      ),
    };
    for (const [name, set] of Object.entries(cases)) {
      expect([name, await codeOfAsync(() => readLegacyMessageSet(set))]).toEqual([
        name,
        ErrorCode.INVALID_RECORD,
      ]);
    }
  });

  it('a magic-2 record batch in a legacy message set is 87 INVALID_RECORD', () => {
    const magic2 = legacyMessageSet(1, messages.slice(0, 1));
    magic2[FIRST_MESSAGE_CRC_POSITION + 4] = 2;
    resealFirstMessage(magic2);
    expect(codeOf(() => readLegacyMessages(magic2))).toBe(ErrorCode.INVALID_RECORD);
  });
});
