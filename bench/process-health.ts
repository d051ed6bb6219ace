import { readFileSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';

/**
 * What this process did besides the work being timed, over a measured window: GC pauses, event-loop
 * delay and CPU (with the time it waited for a core). A latency tail lines up with one of these — a
 * long pause, a blocked loop, or a run queue (more busy processes than cores) — or with none of them.
 */
export interface ProcessHealth {
  cpuSeconds: number;
  /** Time runnable but waiting for a CPU (/proc/self/schedstat; NaN off Linux). */
  runQueueWaitMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Mark-sweep-compact and incremental-marking pauses (the long ones). */
  majorGcCount: number;
  majorGcTotalMs: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

/** perf_hooks gc entry kinds for full collections: major (mark-sweep) and incremental marking steps. */
const MAJOR_GC_KINDS = new Set([4, 8]);

function runQueueWaitNs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return NaN;
  }
}

/** Starts watching this process; `stop()` returns what happened since. */
export function watchProcessHealth(): { stop(): ProcessHealth } {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const health = { gcCount: 0, gcTotalMs: 0, gcMaxMs: 0, majorGcCount: 0, majorGcTotalMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
      health.gcCount++;
      health.gcTotalMs += entry.duration;
      health.gcMaxMs = Math.max(health.gcMaxMs, entry.duration);
      if (MAJOR_GC_KINDS.has(entry.detail?.kind ?? 0)) {
        health.majorGcCount++;
        health.majorGcTotalMs += entry.duration;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const cpuAtStart = process.cpuUsage();
  const waitAtStart = runQueueWaitNs();
  return {
    stop() {
      delay.disable();
      observer.disconnect();
      const cpu = process.cpuUsage(cpuAtStart);
      return {
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        runQueueWaitMs: (runQueueWaitNs() - waitAtStart) / 1e6,
        ...health,
        eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        eventLoopDelayMaxMs: delay.max / 1e6,
      };
    },
  };
}

/** One line: "cpu 2.1 s (run queue 120 ms), gc 40 × max 6.1 ms (major 12, 55 ms), loop delay p99 …". */
export function describeHealth(h: ProcessHealth): string {
  const f = (v: number) => v.toFixed(1);
  return (
    `cpu ${f(h.cpuSeconds)} s (run queue ${Math.round(h.runQueueWaitMs)} ms), ` +
    `gc ${h.gcCount} pauses ${Math.round(h.gcTotalMs)} ms max ${f(h.gcMaxMs)} ms ` +
    `(major ${h.majorGcCount}: ${Math.round(h.majorGcTotalMs)} ms), ` +
    `event-loop delay p99 ${f(h.eventLoopDelayP99Ms)} ms max ${f(h.eventLoopDelayMaxMs)} ms`
  );
}
