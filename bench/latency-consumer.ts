/**
 * The consuming side of bench/latency.ts, in its own process so the producer's event loop does not
 * delay it: a sluice ZooKeeper-group Consumer reading `--records` records, each stamped by the
 * producer with its send time (float64 ms since the epoch, sub-millisecond, at value[0..8)) and its
 * sequence number (uint32 at value[8..12)). Prints `ready` once it holds the partition, then one JSON
 * line of latency percentiles (ms) over the records after the first `--warmup` (JIT, connections).
 *
 *   npx tsx bench/latency-consumer.ts --zookeeper H:P --topic T --records N --warmup W
 */
import { performance } from 'node:perf_hooks';
import { Consumer } from '../consumer/consumer.js';
import { watchProcessHealth, type ProcessHealth } from './process-health.js';

function arg(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? process.argv[at + 1] : undefined;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** The consumer process over the run (after it held the partition). */
  consumerHealth: ProcessHealth;
}

const topic = arg('topic');
const records = Number(arg('records'));
const warmup = Number(arg('warmup'));
const latencies = new Float64Array(Math.max(0, records - warmup));
let received = 0;
let measured = 0;

const consumer = new Consumer({
  zookeeper: arg('zookeeper'),
  groupId: `latency-${process.pid}`,
  topics: [topic],
  autoOffsetReset: 'earliest',
  autoCommit: false,
});
let health: ReturnType<typeof watchProcessHealth> | undefined;
consumer.once('assigned', () => {
  health = watchProcessHealth();
  console.log('ready');
});
let done!: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));
const running = consumer.run({
  eachBatch: ({ records: batch }) => {
    const now = performance.timeOrigin + performance.now();
    for (const record of batch) {
      const value = record.value!;
      if (value.readUInt32BE(8) >= warmup && measured < latencies.length)
        latencies[measured++] = now - value.readDoubleBE(0);
    }
    received += batch.length;
    if (received >= records) done();
  },
});
await finished;
const consumerHealth = health!.stop();
await consumer.close();
await running;
const sorted = latencies.subarray(0, measured).sort();
const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const summary: LatencySummary = {
  count: measured,
  p50Ms: at(0.5),
  p99Ms: at(0.99),
  p999Ms: at(0.999),
  maxMs: sorted[sorted.length - 1] ?? NaN,
  consumerHealth,
};
console.log(JSON.stringify(summary));
process.exit(0);
