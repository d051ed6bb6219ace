/**
 * Shared pieces of the broker benchmarks (bench/produce.ts, bench/consume.ts): a real broker process
 * with the embedded coordinator, kcat (librdkafka) as the client, and the two ceilings each figure is
 * printed next to — loopback TCP throughput and sequential disk write (fsync at the end) — measured
 * in the same run, on the same machine, into the broker's filesystem.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BROKER_NODE_FLAGS } from '../cli/broker-node-flags.js';
import { KafkaAdmin } from '../client/admin.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../coordinator/server/index.js';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
/** USER_HZ: Linux reports /proc CPU times in 1/100 s on every common configuration. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface BenchBroker {
  bootstrap: string;
  /** The coordinator's connection string (clients that find brokers through ZooKeeper). */
  zookeeper: string;
  dataDir: string;
  /** The broker process's id. */
  pid: number;
  /** The broker process's user + system CPU seconds so far (Linux /proc). */
  cpuSeconds(): number;
  /** Seconds the broker's main thread has been runnable but waiting for a CPU (Linux schedstat). */
  runQueueSeconds(): number;
  close(): Promise<void>;
}

/**
 * Seconds the main thread of `pid` spent runnable but not running (waiting for a CPU), from
 * /proc/<pid>/schedstat: on a shared machine this tells a starved process from an idle one.
 */
export function runQueueSeconds(pid: number): number {
  const [, waitNs = 'NaN'] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ');
  return Number(waitNs) / 1e9;
}

/** User + system CPU seconds of process `pid` so far, from /proc/<pid>/stat (Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Embedded coordinator in this process, `sluice broker` as a child process, data in a temp dir. */
export async function startBenchBroker(overrides: Record<string, string> = {}): Promise<BenchBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const zookeeper: EmbeddedZooKeeper = await startZooKeeperServer({ port: 0 });
  const port = await freePort();
  const config: Record<string, string> = {
    'broker.id': '1',
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': join(dataDir, 'broker-1'),
    'zookeeper.connect': zookeeper.connectionString,
    ...overrides,
  };
  // SLUICE_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the broker processes.
  const nodeArgs = (process.env.SLUICE_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // SLUICE_BENCH_BROKER_ROOT runs the broker from another checkout (before/after comparisons).
  const brokerRoot = process.env.SLUICE_BENCH_BROKER_ROOT ?? projectRoot;
  // The broker's own launch flags (cli/broker-node-flags.ts), so the bench runs what users run.
  const args = [
    ...BROKER_NODE_FLAGS,
    ...nodeArgs,
    '--import',
    'tsx',
    join(brokerRoot, 'cli', 'main.ts'),
    'broker',
  ];
  for (const [key, value] of Object.entries(config)) args.push('--override', `${key}=${value}`);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: brokerRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening on')) resolve();
    });
    void exited.then(() => reject(new Error(`broker exited before listening:\n${out}`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    zookeeper: config['zookeeper.connect']!,
    dataDir,
    pid: child.pid!,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    runQueueSeconds: () => runQueueSeconds(child.pid!),
    async close() {
      child.kill('SIGTERM');
      await exited;
      await zookeeper.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createTopic(bootstrap: string, name: string, partitions: number): Promise<void> {
  const admin = await KafkaAdmin.create({ bootstrapServers: [bootstrap] });
  try {
    const [result] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }]);
    if (result?.error) throw result.error;
    for (let i = 0; i < 200; i++) {
      const topic = (await admin.client.refreshMetadata([name])).topic(name);
      if (topic?.partitions.length === partitions && topic.partitions.every((p) => p.leader >= 0)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`topic ${name} has no leaders`);
  } finally {
    await admin.close();
  }
}

/**
 * Writes `count` newline-terminated records of `size` bytes (printable, no newline) for `kcat -l`,
 * fsynced: otherwise the kernel writes this file back while the broker is being timed, and the
 * broker's own writes are throttled behind it (dirty-page limits).
 */
export async function writeRecordFile(dir: string, size: number, count: number): Promise<string> {
  const path = join(dir, `records-${size}-${count}.txt`);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const chunkRecords = 10_000;
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < count; written += chunkRecords) {
      const n = Math.min(chunkRecords, count - written);
      const buf = Buffer.allocUnsafe(n * (size + 1));
      for (let i = 0; i < n; i++) {
        const base = i * (size + 1);
        for (let j = 0; j < size; j++)
          buf[base + j] = alphabet.charCodeAt((written + i + j * 7) % alphabet.length);
        buf[base + size] = 0x0a;
      }
      writeSync(fd, buf);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

export interface KcatRun {
  seconds: number;
  stdoutBytes: number;
  stderr: string;
  /** kcat's user + system CPU seconds (its rusage, taken by a wait4 on exit). */
  cpuSeconds: number;
}

/** Runs kcat, counting stdout bytes without keeping them; rejects on a non-zero exit. */
export async function runKcat(args: string[]): Promise<KcatRun> {
  // /usr/bin/time writes kcat's own CPU time to a file (kept apart from kcat's stderr).
  const timesDir = await mkdtemp(join(tmpdir(), 'sluice-kcat-'));
  const timesFile = join(timesDir, 'times');
  try {
    const run = await new Promise<Omit<KcatRun, 'cpuSeconds'>>((resolve, reject) => {
      const start = performance.now();
      const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timesFile, 'kcat', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdoutBytes = 0;
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdoutBytes += chunk.length));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('close', (code) => {
        const seconds = (performance.now() - start) / 1000;
        if (code !== 0) reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.slice(-1000)}`));
        else resolve({ seconds, stdoutBytes, stderr });
      });
    });
    const [user = NaN, system = NaN] = readFileSync(timesFile, 'utf8').trim().split(/\s+/).map(Number);
    return { ...run, cpuSeconds: user + system };
  } finally {
    await rm(timesDir, { recursive: true, force: true });
  }
}

/** librdkafka producer settings for throughput: big batches, a short linger, acks=1, no compression. */
/**
 * kcat reading a topic from the beginning to its end, printing one byte per record (`-f .`), so its
 * formatting stays cheap and the record count is stdout's length. `extra` adds settings (`-X k=v`).
 */
export function kcatConsumerArgs(bootstrap: string, topic: string, extra: string[] = []): string[] {
  return ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '.', ...extra];
}

export function kcatProducerArgs(bootstrap: string, topic: string, file: string): string[] {
  return [
    '-P',
    '-b',
    bootstrap,
    '-t',
    topic,
    '-l',
    file,
    '-X',
    'acks=1',
    '-X',
    'linger.ms=5',
    '-X',
    'batch.num.messages=100000',
    '-X',
    'batch.size=1000000',
    '-X',
    'queue.buffering.max.messages=2000000',
    '-X',
    'queue.buffering.max.kbytes=2097151',
    '-X',
    'compression.codec=none',
  ];
}

/** Loopback ceiling: one Node process streaming 1 MiB writes to itself for ~`seconds`. */
export async function measureLoopback(seconds = 1.5): Promise<number> {
  let received = 0;
  const server = createServer((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = createConnection((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const chunk = Buffer.alloc(MiB, 0x61);
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    if (!socket.write(chunk)) await new Promise<void>((resolve) => socket.once('drain', () => resolve()));
  }
  const elapsed = (performance.now() - start) / 1000;
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  return received / MiB / elapsed;
}

/** Disk ceiling: sequential 1 MiB writes of `bytes` into `dir`, fsync at the end. */
export async function measureDisk(dir: string, bytes: number): Promise<number> {
  const path = join(dir, 'disk-ceiling.bin');
  const chunk = Buffer.alloc(MiB, 0x62);
  const start = performance.now();
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += MiB)
      writeSync(fd, chunk, 0, Math.min(MiB, bytes - written));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const elapsed = (performance.now() - start) / 1000;
  await unlink(path);
  return bytes / MiB / elapsed;
}

export function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export interface ThroughputResult {
  bench: string;
  name: string;
  recordSize: number;
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  loopbackMbPerSec: number;
  diskMbPerSec: number;
  /** mbPerSec as a share of the disk ceiling. */
  fractionOfDisk: number;
}

/** A result row: rates follow from the record size, count and time, beside the run's ceilings. */
export function throughputResult(
  row: Omit<ThroughputResult, 'recordsPerSec' | 'mbPerSec' | 'fractionOfDisk'>,
): ThroughputResult {
  const mbPerSec = (row.records * row.recordSize) / MiB / row.seconds;
  return {
    ...row,
    recordsPerSec: row.records / row.seconds,
    mbPerSec,
    fractionOfDisk: mbPerSec / row.diskMbPerSec,
  };
}

/** Records in `topic`'s log (sum of partition end offsets): a produce run counts only if all landed. */
export async function storedRecords(bootstrap: string, topic: string): Promise<number> {
  const admin = await KafkaAdmin.create({ bootstrapServers: bootstrap.split(',') });
  try {
    const ends = await admin.listOffsets(topic, 'latest');
    return [...ends.values()].reduce((sum, o) => sum + Number(o), 0);
  } finally {
    await admin.close();
  }
}

/** kcat can exit 0 after failed deliveries; its stderr is what tells. */
export function assertKcatClean(run: KcatRun): void {
  if (/fail|error/i.test(run.stderr)) throw new Error(`kcat reported: ${run.stderr.slice(-500)}`);
}

export function printThroughput(results: readonly ThroughputResult[]): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  console.log(
    `${'benchmark'.padEnd(36)} ${'records'.padStart(10)} ${'records/s'.padStart(12)} ${'MB/s'.padStart(8)} ${'loopback MB/s'.padStart(14)} ${'disk MB/s'.padStart(10)} ${'% disk'.padStart(7)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(36)} ${n(r.records).padStart(10)} ${n(r.recordsPerSec).padStart(12)} ${r.mbPerSec.toFixed(1).padStart(8)} ${r.loopbackMbPerSec.toFixed(0).padStart(14)} ${r.diskMbPerSec.toFixed(0).padStart(10)} ${(r.fractionOfDisk * 100).toFixed(0).padStart(6)}%`,
    );
  }
  for (const r of results) console.log(JSON.stringify(r));
}
