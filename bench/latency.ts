/**
 * End-to-end latency at a fixed load (the target: p99 ≤ 10 ms at 10% of peak): the sluice producer
 * (producer/, this process) sends 100-byte records at a steady rate to one `sluice broker` (acks=1), a
 * sluice Consumer in another process (bench/latency-consumer.ts) reads them, and each record's latency
 * is its consume time minus the send time the producer wrote into it (sub-millisecond clock shared by
 * both processes; the record's own timestamp field has only whole milliseconds). The send time is
 * taken when the record is handed to the producer, so linger, batching and acks all count.
 *
 * The rate is 10% of the peak measured first in the same run (the same producer sending as fast as it
 * can, acks=1, 1 MB batches) unless --rate is given. The first second of records is warm-up and is not
 * counted. With --brokers 3 the same runs go to a 3-broker cluster, topic RF=3, min.insync.replicas=2,
 * acks=all (peak measured with acks=all too).
 *
 *   npx tsx bench/latency.ts [--rate R] [--seconds S] [--linger-ms L] [--brokers 1|3] [--peak-records N]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Producer } from '../producer/producer.js';
import { createReplicatedTopic, startBenchCluster } from './bench-cluster.js';
import { createTopic, numberArg, startBenchBroker } from './broker-bench-support.js';
import type { LatencySummary } from './latency-consumer.js';
import { describeHealth, watchProcessHealth, type ProcessHealth } from './process-health.js';
import { sendFlatOut } from './producer-flat-out.js';

const MiB = 1024 * 1024;
const SIZE = 100;
const TARGET_P99_MS = 10;
const LOAD_FRACTION = 0.1;
const seconds = numberArg('seconds', 10);
const lingerMs = process.argv.includes('--linger-ms')
  ? Number(process.argv[process.argv.indexOf('--linger-ms') + 1])
  : 1;
const brokers = numberArg('brokers', 1);
const peakRecords = numberArg('peak-records', 500_000);
const fixedRate = numberArg('rate', 0);
const here = dirname(fileURLToPath(import.meta.url));

interface Setup {
  bootstrap: string;
  zookeeper: string;
  acks: 1 | 'all';
  label: string;
  createTopic(name: string): Promise<void>;
  /** CPU and run-queue wait of the broker process so far (single broker only). */
  brokerCpu?: () => { cpuSeconds: number; runQueueWaitMs: number };
  close(): Promise<void>;
}

async function startSetup(): Promise<Setup> {
  if (brokers === 1) {
    const broker = await startBenchBroker();
    return {
      bootstrap: broker.bootstrap,
      zookeeper: broker.zookeeper,
      acks: 1,
      label: '1 broker acks=1',
      createTopic: (name) => createTopic(broker.bootstrap, name, 1),
      brokerCpu: () => ({ cpuSeconds: broker.cpuSeconds(), runQueueWaitMs: broker.runQueueSeconds() * 1000 }),
      close: () => broker.close(),
    };
  }
  const cluster = await startBenchCluster(brokers, { 'min.insync.replicas': '2' });
  return {
    bootstrap: cluster.bootstrap,
    zookeeper: cluster.zookeeper,
    acks: 'all',
    label: `${brokers} brokers RF=${brokers} acks=all`,
    createTopic: (name) =>
      createReplicatedTopic(cluster.bootstrap, name, 1, brokers, { 'min.insync.replicas': '2' }),
    close: () => cluster.close(),
  };
}

function newProducer(setup: Setup, options: { lingerMs: number; batchSize: number }): Producer {
  return new Producer({
    bootstrapServers: setup.bootstrap.split(','),
    acks: setup.acks,
    idempotent: false,
    maxRequestSize: 1_048_576,
    bufferMemory: 64 * MiB,
    ...options,
  });
}

/** Records/s of the producer sending flat out (the load the latency rate is a fraction of). */
async function measurePeak(setup: Setup, topic: string): Promise<number> {
  const producer = newProducer(setup, { lingerMs: 5, batchSize: 1_000_000 });
  return peakRecords / (await sendFlatOut(producer, topic, peakRecords, SIZE));
}

/** Starts the consumer process and resolves once it holds the partition. */
function startConsumer(setup: Setup, topic: string, records: number, warmup: number) {
  const child = spawn(
    process.execPath,
    [
      // SLUICE_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") applies here as to brokers.
      ...(process.env.SLUICE_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      '--import',
      'tsx',
      join(here, 'latency-consumer.ts'),
      ...['--zookeeper', setup.zookeeper, '--topic', topic],
      ...['--records', String(records), '--warmup', String(warmup)],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } },
  );
  const lines = createInterface({ input: child.stdout! });
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const summary = new Promise<LatencySummary>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) resolve(JSON.parse(line) as LatencySummary);
    });
    child.once('exit', (code) => reject(new Error(`latency consumer exited ${code} without a result`)));
  });
  return { ready, summary, kill: () => child.kill('SIGTERM') };
}

/**
 * Sends `rate` records/s until `total` are sent, each stamped with its send time and sequence number.
 * Returns the producer's acknowledgement latencies (send → delivery callback) after the warm-up.
 */
async function sendAtRate(
  setup: Setup,
  topic: string,
  rate: number,
  total: number,
  warmup: number,
): Promise<Float64Array> {
  const producer = newProducer(setup, { lingerMs, batchSize: 512 * 1024 });
  await producer.connect();
  await producer.partitionsFor(topic);
  let failed: unknown;
  const acked = new Float64Array(Math.max(0, total - warmup));
  let ackCount = 0;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const value = Buffer.alloc(SIZE, 0x61);
      value.writeDoubleBE(performance.timeOrigin + performance.now(), 0);
      value.writeUInt32BE(sent, 8);
      const sentAt = performance.now();
      const counted = sent >= warmup;
      producer.produce({ topic, value }, (error) => {
        if (error) failed ??= error;
        else if (counted) acked[ackCount++] = performance.now() - sentAt;
      });
    }
    // A 1 ms tick: records go out in small groups, as from an application serving requests.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await producer.flush();
  await producer.close();
  if (failed) throw failed;
  return acked.subarray(0, ackCount).sort();
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const setup = await startSetup();
const results: Array<Record<string, unknown>> = [];
try {
  let peak = fixedRate > 0 ? NaN : 0;
  if (fixedRate === 0) {
    await setup.createTopic('latency-peak');
    peak = await measurePeak(setup, 'latency-peak');
  }
  const rate = fixedRate > 0 ? fixedRate : Math.round(peak * LOAD_FRACTION);
  const total = Math.round(rate * seconds);
  const warmup = Math.min(total - 1, rate);
  const topic = 'latency';
  await setup.createTopic(topic);
  const consumer = startConsumer(setup, topic, total, warmup);
  try {
    await consumer.ready;
    const brokerBefore = setup.brokerCpu?.();
    const health = watchProcessHealth();
    const acks = await sendAtRate(setup, topic, rate, total, warmup);
    const producerHealth = health.stop();
    const brokerAfter = setup.brokerCpu?.();
    const summary = await consumer.summary;
    results.push({
      bench: 'latency',
      name: `latency 100 B ${setup.label} at ${Math.round(rate).toLocaleString('en-US')} rec/s`,
      recordSize: SIZE,
      ratePerSec: rate,
      peakRecordsPerSec: peak,
      loadFraction: fixedRate > 0 ? null : LOAD_FRACTION,
      lingerMs,
      seconds,
      ...summary,
      ackP50Ms: quantile(acks, 0.5),
      ackP99Ms: quantile(acks, 0.99),
      ackP999Ms: quantile(acks, 0.999),
      producerHealth,
      brokerHealth:
        brokerBefore && brokerAfter
          ? {
              cpuSeconds: brokerAfter.cpuSeconds - brokerBefore.cpuSeconds,
              runQueueWaitMs: brokerAfter.runQueueWaitMs - brokerBefore.runQueueWaitMs,
            }
          : null,
      targetP99Ms: TARGET_P99_MS,
      // Tail latency on a shared 2-core machine follows its load: recorded to read the figure by.
      loadAverage1m: loadavg()[0],
    });
  } finally {
    consumer.kill();
  }
} finally {
  await setup.close();
}
for (const r of results) {
  const peakText = Number.isFinite(r.peakRecordsPerSec as number)
    ? ` (peak ${Math.round(r.peakRecordsPerSec as number).toLocaleString('en-US')} rec/s)`
    : '';
  console.log(`${r.name as string}${peakText}, load average ${(r.loadAverage1m as number).toFixed(1)}`);
  const ms = (v: unknown) => `${(v as number).toFixed(2)} ms`;
  console.log(`  produce→ack: p50 ${ms(r.ackP50Ms)}  p99 ${ms(r.ackP99Ms)}  p999 ${ms(r.ackP999Ms)}`);
  console.log(
    `  ${r.count as number} records end to end: p50 ${ms(r.p50Ms)}  p99 ${ms(r.p99Ms)}  p999 ${ms(r.p999Ms)}  max ${ms(r.maxMs)}  (target p99 ≤ ${TARGET_P99_MS} ms: ${(r.p99Ms as number) <= TARGET_P99_MS ? 'met' : 'not met'})`,
  );
}
for (const r of results) {
  // Where a tail comes from: pauses, blocked loops, or processes waiting for a core.
  console.log(`  producer process: ${describeHealth(r.producerHealth as ProcessHealth)}`);
  console.log(`  consumer process: ${describeHealth(r.consumerHealth as ProcessHealth)}`);
  const broker = r.brokerHealth as { cpuSeconds: number; runQueueWaitMs: number } | null;
  if (broker)
    console.log(
      `  broker process: cpu ${broker.cpuSeconds.toFixed(1)} s (run queue ${Math.round(broker.runQueueWaitMs)} ms)`,
    );
}
for (const r of results) console.log(JSON.stringify(r));
process.exit(0);
