import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { BROKER_NODE_FLAGS } from '../../cli/broker-node-flags.js';
import { childrenOf, commandOf } from '../support/process-tree.js';
import { runToEnd } from '../support/processes.js';
import { interruptAndExpectTreeGone, startSluiceDev } from '../support/sluice-dev.js';

/** `sluice dev` as a user runs it: one process tree, addresses printed, Ctrl-C stops everything. */

describe('sluice dev', () => {
  it('starts the coordinator and two brokers, serves kcat, reports a dead child, stops cleanly on SIGINT', async () => {
    // The default a user gets: warnings and errors only.
    const { dev, dataDir, bootstrap, zookeeper, output, removeDataDir } = await startSluiceDev(2, [], {
      env: { SLUICE_LOG_LEVEL: undefined },
    });
    try {
      expect(bootstrap.split(',')).toHaveLength(2);
      expect(zookeeper).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(output).toContain('sluice dev: press Ctrl-C to stop');
      expect(output).toContain('sluice dev: logs: warn and above on stderr');

      const { stdout } = await runToEnd('kcat', ['-L', '-J', '-b', bootstrap.split(',')[0]!]);
      const metadata = JSON.parse(stdout) as { brokers: { id: number; name: string }[] };
      expect(metadata.brokers.map((b) => b.id).sort()).toEqual([1, 2]);
      expect(metadata.brokers.map((b) => b.name).sort()).toEqual(bootstrap.split(',').sort());

      const session = await ZooKeeperSession.connect(zookeeper);
      try {
        expect(await new ClusterState(session).listBrokerIds()).toEqual([1, 2]);
      } finally {
        await session.close();
      }
      // Data flows, and lands under --data-dir.
      await runToEnd('kcat', ['-P', '-b', bootstrap, '-t', 'smoke'], { input: 'hello\n' });
      const consumed = await runToEnd('kcat', [
        '-C',
        '-b',
        bootstrap,
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
      // Brokers start with the broker's V8 flags (cli/broker-node-flags.ts).
      for (const pid of brokers)
        for (const flag of BROKER_NODE_FLAGS) expect(commandOf(pid).split(' ')).toContain(flag);
      // Find broker 2 by its command line and kill it behind sluice dev's back.
      const second = brokers.find((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('broker.id=2'),
      );
      expect(second).toBeDefined();
      process.kill(second!, 'SIGKILL');
      await dev.waitForOutput('broker 2 exited unexpectedly (SIGKILL)', 20_000);

      await interruptAndExpectTreeGone(dev, brokers, 'every broker process to be gone');
      // Info records (topic created, controller elected, …) stay out of the way by default.
      expect(dev.stderr()).not.toMatch(/ INFO |"level":30/);
    } finally {
      await dev.kill('SIGKILL');
      await removeDataDir();
    }
  }, 120_000);
});
