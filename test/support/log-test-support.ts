import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatchSync, type RecordInput } from '../../protocol/record-batch.js';
import { CompressionCodec } from '../../protocol/compression-codec.js';

/** A magic-2 batch of `count` records with `valueBytes`-byte values; value bytes encode (seed, index). */
export function makeBatch({
  count = 1,
  valueBytes = 10,
  timestamp = 1_700_000_000_000n,
  timestampStep = 1n,
  seed = 0,
  compression = CompressionCodec.None,
}: {
  count?: number;
  valueBytes?: number;
  timestamp?: bigint;
  timestampStep?: bigint;
  seed?: number;
  compression?: CompressionCodec;
} = {}): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    const value = Buffer.alloc(valueBytes, (seed * 31 + i) & 0xff);
    if (valueBytes >= 8) {
      value.writeUInt32BE(seed >>> 0, 0);
      value.writeUInt32BE(i, 4);
    }
    records.push({ key: null, value, timestamp: timestamp + BigInt(i) * timestampStep });
  }
  return encodeRecordBatchSync({ records, compression });
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(
  prefix = 'sluice-log-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function partitionDir(root: string, name = 'topic-0'): string {
  return join(root, name);
}
