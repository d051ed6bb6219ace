/**
 * Shared micro-benchmark harness: time a function for a fixed wall-clock budget after a warm-up, report
 * ops/s and (when the bytes per op are known) MB/s, print a table plus one JSON line per result.
 */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  bench: string;
  name: string;
  opsPerSec: number;
  /** MiB processed per second, when `bytesPerOp` was given. */
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
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    fn();
    ops++;
    now = performance.now();
  }
  const opsPerSec = (ops * 1000) / (now - start);
  const result: BenchResult = { bench: options.bench ?? 'codec', name, opsPerSec };
  if (options.bytesPerOp !== undefined) {
    result.bytesPerOp = options.bytesPerOp;
    result.mbPerSec = (opsPerSec * options.bytesPerOp) / MiB;
  }
  return result;
}

/** Prints a human table, then one JSON line per result (for comparing runs). */
export function printResults(results: readonly BenchResult[]): void {
  console.log(`${'benchmark'.padEnd(58)} ${'ops/s'.padStart(12)} ${'MB/s'.padStart(10)}`);
  for (const r of results) {
    const mb = r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(0);
    console.log(
      `${r.name.padEnd(58)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)} ${mb.padStart(10)}`,
    );
  }
  for (const r of results) console.log(JSON.stringify(r));
}
