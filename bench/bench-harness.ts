/**
 * Shared micro-benchmark harness: time a function for a fixed wall-clock budget after a warm-up, report
 * ops/s and (when the bytes per op are known) MB/s, print a table plus one JSON line per result.
 */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  bench: string;
  name: string;
  /** Wall-clock throughput. */
  opsPerSec: number;
  /** Throughput per second of this process's CPU time: steadier than wall clock on a busy machine. */
  cpuOpsPerSec?: number;
  /** MiB processed per wall-clock second, when `bytesPerOp` was given. */
  mbPerSec?: number;
  bytesPerOp?: number;
}

export interface BenchOptions {
  /** Bytes one call processes, to report MB/s. */
  bytesPerOp?: number;
  /** Measurement budget in seconds (default from --seconds, else 1). */
  seconds?: number;
  /** Group label for the JSON line (default 'codec'). */
  bench?: string;
}

const MiB = 1024 * 1024;

export function secondsFromArgs(defaultSeconds = 1): number {
  const at = process.argv.indexOf('--seconds');
  const value = at > 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : defaultSeconds;
}

/** Runs `fn` repeatedly for about `seconds` after a short warm-up and returns its throughput. */
export function runBench(name: string, fn: () => unknown, options: BenchOptions = {}): BenchResult {
  const seconds = options.seconds ?? secondsFromArgs();
  const warmUntil = performance.now() + Math.min(300, seconds * 250);
  while (performance.now() < warmUntil) fn();
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    fn();
    ops++;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  const opsPerSec = (ops * 1000) / (now - start);
  const cpuOpsPerSec = (ops * 1e6) / Math.max(1, cpu.user + cpu.system);
  const result: BenchResult = { bench: options.bench ?? 'codec', name, opsPerSec, cpuOpsPerSec };
  if (options.bytesPerOp !== undefined) {
    result.bytesPerOp = options.bytesPerOp;
    result.mbPerSec = (opsPerSec * options.bytesPerOp) / MiB;
  }
  return result;
}

/** Prints a human table, then one JSON line per result (for comparing runs). */
export function printResults(results: readonly BenchResult[]): void {
  const count = (n: number | undefined) =>
    n === undefined || Number.isNaN(n) ? '' : Math.round(n).toLocaleString('en-US');
  console.log(
    `${'benchmark'.padEnd(58)} ${'ops/s'.padStart(12)} ${'ops/cpu-s'.padStart(12)} ${'MB/s'.padStart(10)}`,
  );
  for (const r of results) {
    const mb = r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(0);
    console.log(
      `${r.name.padEnd(58)} ${count(r.opsPerSec).padStart(12)} ${count(r.cpuOpsPerSec).padStart(12)} ${mb.padStart(10)}`,
    );
  }
  for (const r of results) console.log(JSON.stringify(r));
}
