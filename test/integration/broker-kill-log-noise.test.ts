import { describe, expect, it } from 'vitest';
import { startProcessCluster } from '../support/process-cluster.js';
import { startSluice } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * One broker SIGKILLed in a 3-broker cluster: each survivor logs each state change once (ISR shrink,
 * leadership change, fetcher lost its leader) and repeated failures as a rate-limited count, not a
 * warning per retry.
 */

const WINDOW_MS = 10_000;
const MAX_WARNINGS_PER_SURVIVOR = 20;

interface LogRecord {
  level: number;
  time?: number;
  msg: string;
  topic?: string;
  partition?: number | string;
}

/** A broker's JSON log records on stderr. */
function records(stderr: string): LogRecord[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogRecord);
}

/** warn and above: pino levels 40+. */
const isWarning = (record: LogRecord) => record.level >= 40;

describe('log noise after a broker dies', () => {
  it('survivors log each state change once and rate-limit repeated failures', async () => {
    const cluster = await startProcessCluster({
      brokers: 3,
      overrides: {
        'zookeeper.session.timeout.ms': '3000',
        'replica.fetch.wait.max.ms': '200',
        'replica.lag.time.max.ms': '2000',
        'default.replication.factor': '3',
        'min.insync.replicas': '2',
      },
      // info: the state changes are info records, and each must appear once.
      spawn: { env: { SLUICE_LOG_LEVEL: 'info', SLUICE_LOG_FORMAT: 'json' } },
    });
    try {
      const topic = 'noise';
      const create = startSluice([
        ...['topics', 'create', '--topic', topic, '--partitions', '6'],
        ...['--replication-factor', '3', '--bootstrap-server', cluster.bootstrap([1, 2, 3]).join(',')],
      ]);
      expect(await create.exited, create.stderr()).toBe(0);
      const partitions = Array.from({ length: 6 }, (_, partition) => ({ topic, partition }));
      await waitFor(
        async () => {
          for (const tp of partitions) {
            const s = (await cluster.state.readPartitionState(tp))?.value;
            if (s?.isr.length !== 3) return false;
          }
          return true;
        },
        { timeoutMs: 30_000, what: 'every partition with three replicas in its ISR' },
      );
      const before = new Map([2, 3].map((id) => [id, records(cluster.brokers.get(id)!.stderr()).length]));

      const victim = cluster.brokers.get(1)!;
      await victim.kill('SIGKILL');
      cluster.brokers.delete(1);
      await waitFor(
        async () => {
          for (const tp of partitions) {
            const s = (await cluster.state.readPartitionState(tp))?.value;
            if (s === undefined || s.isr.includes(1) || s.leader === 1) return false;
          }
          return true;
        },
        { timeoutMs: 30_000, what: 'broker 1 out of every ISR and leadership' },
      );
      // The measurement window: what a user watching the survivors' logs sees in the next seconds.
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));

      for (const id of [2, 3]) {
        const all = records(cluster.brokers.get(id)!.stderr());
        const after = all.slice(before.get(id));
        const warned = after.filter(isWarning);
        const counts = new Map<string, number>();
        for (const record of warned) counts.set(record.msg, (counts.get(record.msg) ?? 0) + 1);
        console.log(
          `broker ${id}: ${all.slice(0, before.get(id)).filter(isWarning).length} warn+ lines before the kill, ${warned.length} in the ${WINDOW_MS / 1000} s after`,
          [...counts],
        );
        expect(warned.length).toBeLessThanOrEqual(MAX_WARNINGS_PER_SURVIVOR);
        // A failure that repeats shows as its first line and at most one count per window.
        for (const [msg, count] of counts) expect(count, msg).toBeLessThanOrEqual(3);
        // Each state change of a partition (ISR changed from → to, leading in epoch e, …) is one line.
        const perPartition = new Map<string, number>();
        for (const record of after.filter((r) => r.level >= 30 && r.partition !== undefined)) {
          const key = JSON.stringify({ ...record, time: undefined });
          perPartition.set(key, (perPartition.get(key) ?? 0) + 1);
        }
        for (const [key, count] of perPartition) expect(count, key).toBe(1);
      }
    } finally {
      await cluster.close();
    }
  }, 180_000);
});
