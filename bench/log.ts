/**
 * Partition log throughput: appends of 16 KiB and 1 MiB batches with the default flush policy (the OS
 * decides) and with flush.messages=1 (fsync before each append resolves; concurrent appends share
 * fsyncs), then sequential reads. Beside each figure: the disk ceiling measured in the same run, a raw
 * `write` of the same bytes in the same sizes (and with an fsync after each write for the
 * flush-every-append case). One JSON line per result on stdout.
 *
 *   npx tsx bench/log.ts [--mb 512] [--dir /path/on/the/disk/to/measure]
 *
 * Default-flush figures are page-cache speed (as Kafka's are); flush-every-append figures are disk
 * speed. Reads return file bytes through user space: Node has no sendfile for sockets.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PartitionLog } from '../broker/log/partition-log.js';
import { encodeRecordBatchSync } from '../protocol/record-batch.js';

const MiB = 1024 * 1024;

function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const totalMiB = Number(argValue('--mb') ?? 512);
const baseDir = argValue('--dir') ?? tmpdir();

interface Result {
  bench: 'log';
  name: string;
  batchBytes: number;
  flush: 'os' | 'every-append';
  concurrency?: number;
  totalMiB: number;
  seconds: number;
  mbPerSec: number;
  batchesPerSec: number;
  ceilingName?: string;
  ceilingMbPerSec?: number;
  percentOfCeiling?: number;
}

/** A batch of ~`bytes` made of 1 KiB records (how producers batch), in `copies` distinct buffers. */
function makeBatches(bytes: number, copies: number): Buffer[] {
  const recordValue = 1000;
  const count = Math.max(1, Math.floor(bytes / (recordValue + 10)));
  return Array.from({ length: copies }, (_, c) =>
    encodeRecordBatchSync({
      records: Array.from({ length: count }, (_, i) => ({
        key: null,
        value: Buffer.alloc(recordValue, (c * 7 + i) & 0xff),
        timestamp: BigInt(Date.now()),
      })),
    }),
  );
}

async function rawWriteCeiling(
  dir: string,
  batch: Buffer,
  count: number,
  fsyncEach: boolean,
): Promise<number> {
  const path = join(dir, `raw-${batch.length}-${fsyncEach}.bin`);
  const handle = await open(path, 'w');
  const start = performance.now();
  let position = 0;
  for (let i = 0; i < count; i++) {
    await handle.write(batch, 0, batch.length, position);
    position += batch.length;
    if (fsyncEach) await handle.sync();
  }
  const seconds = (performance.now() - start) / 1000;
  await handle.close();
  await rm(path);
  return position / MiB / seconds;
}

async function appendRun(
  dir: string,
  batches: Buffer[],
  count: number,
  flushEvery: boolean,
  concurrency: number,
): Promise<{ seconds: number; log: PartitionLog }> {
  const log = await PartitionLog.open({
    dir,
    config: {
      flushIntervalMessages: flushEvery ? 1 : Number.POSITIVE_INFINITY,
      maxMessageBytes: 2 * MiB,
    },
  });
  let issued = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < count) {
        const batch = batches[issued++ % batches.length]!;
        await log.append(batch, { leaderEpoch: 0 });
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, log };
}

async function readRun(log: PartitionLog, maxBytes: number): Promise<{ seconds: number; bytes: number }> {
  const start = performance.now();
  let next = log.logStartOffset;
  let bytes = 0;
  while (next < log.logEndOffset) {
    const { records } = await log.read(next, { maxBytes });
    bytes += records.length;
    // The next offset is after the last batch returned: walk the 12-byte prefixes, no decoding.
    let position = 0;
    let lastBase = next;
    let lastDelta = 0;
    while (position < records.length) {
      lastBase = records.readBigInt64BE(position);
      lastDelta = records.readInt32BE(position + 23);
      position += 12 + records.readInt32BE(position + 8);
    }
    next = lastBase + BigInt(lastDelta) + 1n;
  }
  return { seconds: (performance.now() - start) / 1000, bytes };
}

function emit(result: Result): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(baseDir, 'sluice-bench-log-'));
  try {
    for (const batchBytes of [16 * 1024, MiB]) {
      const batches = makeBatches(batchBytes, 8);
      const size = batches[0]!.length;
      for (const flushEvery of [false, true]) {
        // fsync per append is slow by design: measure it on a quarter of the bytes.
        const mib = flushEvery ? Math.max(64, totalMiB / 4) : totalMiB;
        const count = Math.max(8, Math.floor((mib * MiB) / size));
        const ceilingName = flushEvery ? 'raw write + fsync each' : 'raw write';
        for (const concurrency of flushEvery ? [1, 8] : [1]) {
          const dir = join(root, `p-${size}-${flushEvery}-${concurrency}`);
          // The ceiling is measured right before and after the log run (shared disks drift); the best
          // of the two is the one reported, so the percentage errs low.
          const before = await rawWriteCeiling(root, batches[0]!, count, flushEvery);
          const { seconds, log } = await appendRun(dir, batches, count, flushEvery, concurrency);
          const ceiling = Math.max(before, await rawWriteCeiling(root, batches[0]!, count, flushEvery));
          const mbPerSec = (count * size) / MiB / seconds;
          emit({
            bench: 'log',
            name: 'append',
            batchBytes: size,
            flush: flushEvery ? 'every-append' : 'os',
            concurrency,
            totalMiB: (count * size) / MiB,
            seconds,
            mbPerSec,
            batchesPerSec: count / seconds,
            ceilingName,
            ceilingMbPerSec: ceiling,
            percentOfCeiling: (100 * mbPerSec) / ceiling,
          });
          if (!flushEvery) {
            const read = await readRun(log, MiB);
            emit({
              bench: 'log',
              name: 'read',
              batchBytes: size,
              flush: 'os',
              totalMiB: read.bytes / MiB,
              seconds: read.seconds,
              mbPerSec: read.bytes / MiB / read.seconds,
              batchesPerSec: count / read.seconds,
            });
          }
          await log.delete();
        }
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
