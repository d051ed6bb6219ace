import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../../broker/log/partition-log.js';
import { CompressionCodec } from '../../../../protocol/compression-codec.js';
import { CorruptRecordBatchError } from '../../../../protocol/record-batch-header.js';
import { encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import { tempDir } from '../../../support/log-test-support.js';

/**
 * A compression bomb already in a log (written before produce validation, or by a follower copying a
 * leader's bytes) must not be inflated without bound when the broker decodes it: ListOffsets by
 * timestamp answers an error instead of allocating the whole output.
 */
let root: string;
let cleanup: () => Promise<void>;
let log: PartitionLog | undefined;

beforeEach(async () => ({ dir: root, cleanup } = await tempDir()));
afterEach(async () => {
  await log?.close().catch(() => undefined);
  await cleanup();
});

describe('decoding a stored compression bomb', () => {
  it.each([CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd])(
    'offsetForTimestamp over a %s bomb throws CORRUPT_MESSAGE within max.message.bytes x ratio',
    async (codec) => {
      log = await PartitionLog.open({
        dir: join(root, 'bomb-0'),
        config: { maxMessageBytes: 1024 * 1024, decompressionMaxRatio: 2 },
      });
      const bomb = encodeRecordBatchSync({
        records: [{ key: null, value: Buffer.alloc(8 * 1024 * 1024), timestamp: 5_000n }],
        compression: codec,
      });
      await log.append(bomb, { leaderEpoch: 0 });
      const error = await log.offsetForTimestamp(1_000n).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptRecordBatchError);
      expect((error as CorruptRecordBatchError).code).toBe(2);
      expect((error as Error).message).toMatch(/limit of 2097152|2097152/);
    },
  );
});
