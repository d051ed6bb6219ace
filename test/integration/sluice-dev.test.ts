import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { runToEnd, startSluice } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/** `sluice dev` as a user runs it: one process tree, addresses printed, Ctrl-C stops everything. */

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Direct children of a process, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised command name) is the parent pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sluice dev', () => {
  it('starts the coordinator and two brokers, serves kcat, reports a dead child, stops cleanly on SIGINT', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-dev-'));
    dirs.push(dataDir);
    const dev = startSluice(
      ['dev', '--brokers', '2', '--port', '0', '--zookeeper-port', '0', '--data-dir', dataDir],
      { env: { SLUICE_LOG_LEVEL: undefined } },
    ); // the default a user gets: warnings and errors only
    try {
      const output = await dev.waitForOutput(/zookeeper: \S+/, 90_000);
      const bootstrap = /bootstrap servers: (\S+)/.exec(output)?.[1];
      const zookeeper = /zookeeper: (\S+)/.exec(output)?.[1];
      expect(bootstrap?.split(',')).toHaveLength(2);
      expect(zookeeper).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(output).toContain('sluice dev: press Ctrl-C to stop');
      expect(output).toContain('sluice dev: logs: warn and above on stderr');

      const { stdout } = await runToEnd('kcat', ['-L', '-J', '-b', bootstrap!.split(',')[0]!]);
      const metadata = JSON.parse(stdout) as { brokers: { id: number; name: string }[] };
      expect(metadata.brokers.map((b) => b.id).sort()).toEqual([1, 2]);
      expect(metadata.brokers.map((b) => b.name).sort()).toEqual(bootstrap!.split(',').sort());

      const session = await ZooKeeperSession.connect(zookeeper!);
      try {
        expect(await new ClusterState(session).listBrokerIds()).toEqual([1, 2]);
      } finally {
        await session.close();
      }
      // Data flows, and lands under --data-dir.
      await runToEnd('kcat', ['-P', '-b', bootstrap!, '-t', 'smoke'], { input: 'hello\n' });
      const consumed = await runToEnd('kcat', [
        '-C',
        '-b',
        bootstrap!,
        '-t',
        'smoke',
        '-e',
        '-o',
        'beginning',
        '-q',
      ]);
      expect(consumed.stdout).toBe('hello\n');
      const entries = await readdir(dataDir);
      expect(entries).toContain('coordinator');
      expect(entries.some((e) => /^broker-[12]$/.test(e))).toBe(true);

      const brokers = childrenOf(dev.child.pid!);
      expect(brokers).toHaveLength(2);
      // Find broker 2 by its command line and kill it behind sluice dev's back.
      const second = brokers.find((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('broker.id=2'),
      );
      expect(second).toBeDefined();
      process.kill(second!, 'SIGKILL');
      await dev.waitForOutput('broker 2 exited unexpectedly (SIGKILL)', 20_000);

      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
      expect(dev.stdout()).toContain('sluice dev: stopped');
      // Info records (topic created, controller elected, …) stay out of the way by default.
      expect(dev.stderr()).not.toMatch(/ INFO |"level":30/);
      await waitFor(() => brokers.every((pid) => !alive(pid)), {
        timeoutMs: 5_000,
        what: 'every broker process to be gone',
      });
    } finally {
      await dev.kill('SIGKILL');
    }
  }, 120_000);
});
