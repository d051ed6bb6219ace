/**
 * Record-batch codec throughput: header + CRC-32C validation of 1 MiB batches (what the broker does to
 * every produced batch), and encode/decode per codec for 100-byte records. Prints a table and one
 * JSON line per result (`{"bench":"record-batch",...}`) so runs can be compared.
 *
 *   npx tsx bench/record-batch.ts [--seconds 1]
 */
import { runBench, secondsFromArgs } from './bench-harness.js';
import { CompressionCodec } from '../protocol/compression.js';
import { crc32c } from '../protocol/crc32c.js';
import { decodeRecordBatchSync, encodeRecordBatchSync, type RecordInput } from '../protocol/record-batch.js';
import { stampBaseOffset, validateRecordBatch } from '../protocol/record-batch-header.js';

export interface RecordBatchBenchResult {
  bench: 'record-batch';
  case: string;
  mbPerSec: number;
  /** Batches (or CRC passes) per second. */
  opsPerSec: number;
  recordsPerSec?: number;
  ratio?: number;
}

const MiB = 1024 * 1024;

function opsPerSecond(name: string, fn: () => unknown, seconds: number): number {
  return runBench(name, fn, { seconds, bench: 'record-batch' }).opsPerSec;
}

/** Log-line-like 100-byte values: compressible the way real payloads are, not all zeros. */
function makeRecords(count: number, valueSize: number): RecordInput[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  return Array.from({ length: count }, (_, i) => {
    const text = `{"id":${i},"user":"u${next() % 5000}","event":"click","ts":${1_700_000_000_000 + i},"v":${next()}}`;
    const value = Buffer.alloc(valueSize, 0x20);
    value.write(text.slice(0, valueSize));
    return { key: null, value, timestamp: 1_700_000_000_000n + BigInt(i) };
  });
}

export function runRecordBatchBench(seconds = 1): RecordBatchBenchResult[] {
  const results: RecordBatchBenchResult[] = [];

  // 1 MiB batch of 1 KiB records; validation = header checks + CRC-32C over the whole batch.
  const big = encodeRecordBatchSync({ records: makeRecords(1020, 1024) });
  const crcOnly = opsPerSecond('crc32c', () => crc32c(big), seconds);
  results.push({
    bench: 'record-batch',
    case: 'crc32c 1 MiB (ceiling)',
    opsPerSec: crcOnly,
    mbPerSec: (crcOnly * big.length) / MiB,
  });
  const validate = opsPerSecond(
    'validate',
    () => {
      stampBaseOffset(big, 0, 42n);
      validateRecordBatch(big);
    },
    seconds,
  );
  results.push({
    bench: 'record-batch',
    case: `validate header+CRC ${(big.length / MiB).toFixed(2)} MiB batch`,
    opsPerSec: validate,
    mbPerSec: (validate * big.length) / MiB,
  });

  // 100-byte records, 1000 per batch (~100 KiB of values, a typical producer batch).
  const records = makeRecords(1000, 100);
  const payload = records.length * 100;
  for (const compression of [
    CompressionCodec.None,
    CompressionCodec.Gzip,
    CompressionCodec.Snappy,
    CompressionCodec.Lz4,
    CompressionCodec.Zstd,
  ]) {
    const name = CompressionCodec[compression].toLowerCase();
    const batch = encodeRecordBatchSync({ compression, records });
    const encode = opsPerSecond('encode', () => encodeRecordBatchSync({ compression, records }), seconds);
    const decode = opsPerSecond('decode', () => decodeRecordBatchSync(batch), seconds);
    results.push({
      bench: 'record-batch',
      case: `encode ${name} 1000 x 100 B`,
      opsPerSec: encode,
      mbPerSec: (encode * payload) / MiB,
      recordsPerSec: encode * records.length,
      ratio: payload / batch.length,
    });
    results.push({
      bench: 'record-batch',
      case: `decode ${name} 1000 x 100 B`,
      opsPerSec: decode,
      mbPerSec: (decode * payload) / MiB,
      recordsPerSec: decode * records.length,
    });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = runRecordBatchBench(secondsFromArgs());
  for (const r of results) {
    const extra = [
      r.recordsPerSec === undefined ? '' : `${Math.round(r.recordsPerSec).toLocaleString('en-US')} records/s`,
      r.ratio === undefined ? '' : `ratio ${r.ratio.toFixed(2)}`,
    ]
      .filter(Boolean)
      .join(', ');
    console.log(`${r.case.padEnd(40)} ${r.mbPerSec.toFixed(0).padStart(7)} MB/s  ${extra}`);
  }
  for (const r of results) console.log(JSON.stringify(r));
}
