import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, commandOf, descendantsOf } from '../support/process-tree.js';
import { freePort } from '../support/ports.js';
import { projectRoot, runToEnd, startProcess, startSluice } from '../support/processes.js';
import { startSluiceDev } from '../support/sluice-dev.js';
import { waitFor } from '../support/wait.js';

/**
 * `kill -9` of `sluice dev` leaves nothing behind: its brokers see the pipe dev gave them close and
 * exit; the next run on the same data directory names a previous run's leftovers instead of failing
 * on a busy port. A broker started by anything else outlives its parent.
 */

describe('sluice dev killed with SIGKILL', () => {
  it('takes every broker with it within 5 s; a standalone broker whose parent dies keeps running', async () => {
    const { dev, dataDir, zookeeper, removeDataDir } = await startSluiceDev(3);
    // A broker a user starts from a shell, on dev's coordinator: no link to any supervisor.
    const port = await freePort();
    const logDir = await mkdtemp(join(tmpdir(), 'sluice-standalone-'));
    const brokerCommand = [
      process.execPath,
      '--import',
      'tsx',
      join(projectRoot, 'cli', 'main.ts'),
      'broker',
      ...['--override', 'broker.id=9', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`],
      ...['--override', `log.dirs=${logDir}`, '--override', `zookeeper.connect=${zookeeper}`],
    ]
      .map((arg) => `'${arg}'`)
      .join(' ');
    const shell = startProcess('sh', ['-c', `${brokerCommand} & wait`], {
      cwd: projectRoot,
      env: { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: 'warn' },
    });
    let standalone: number | undefined;
    try {
      await shell.waitForOutput('sluice broker 9 listening on', 60_000);
      standalone = descendantsOf(shell.child.pid!).find((pid) => commandOf(pid).includes('broker.id=9'));
      expect(standalone).toBeDefined();

      const tree = [dev.child.pid!, ...descendantsOf(dev.child.pid!)];
      const brokers = tree.filter((pid) => commandOf(pid).includes(' broker '));
      expect(brokers).toHaveLength(3);
      const recorded = JSON.parse(await readFile(join(dataDir, 'sluice-dev.pid'), 'utf8')) as {
        pid: number;
        brokers: { pid: number }[];
      };
      expect(recorded.pid).toBe(dev.child.pid);
      expect(recorded.brokers.map((b) => b.pid).sort()).toEqual([...brokers].sort());

      process.kill(dev.child.pid!, 'SIGKILL');
      await waitFor(() => tree.every((pid) => !alive(pid)), {
        timeoutMs: 5_000,
        what: `every process of the killed sluice dev (${tree.join(', ')}) to be gone`,
      });

      // The user's broker lost its parent shell and still serves (the coordinator died with dev, so
      // it answers from what it knows).
      process.kill(shell.child.pid!, 'SIGKILL');
      await shell.exited;
      const metadata = await runToEnd('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-m', '10']);
      expect(metadata.stdout).toContain('broker 9');
      expect(alive(standalone!)).toBe(true);

      // The next run on the same data directory starts: the stale pid file names nothing alive.
      const again = await startSluiceDev(1, [], {}, dataDir);
      const exited = again.dev.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      await dev.kill('SIGKILL');
      await shell.kill('SIGKILL');
      if (standalone !== undefined && alive(standalone)) process.kill(standalone, 'SIGKILL');
      await rm(logDir, { recursive: true, force: true });
      await removeDataDir();
    }
  }, 180_000);

  it('--zookeeper-ensemble: the brokers go with dev; the JVMs, which cannot watch dev, are named by the next run', async () => {
    const { dev, dataDir, removeDataDir } = await startSluiceDev(1, ['--zookeeper-ensemble', '1']);
    const tree = [dev.child.pid!, ...descendantsOf(dev.child.pid!)];
    const jvms = tree.filter((pid) => commandOf(pid).includes('QuorumPeerMain'));
    const brokers = tree.filter((pid) => commandOf(pid).includes(' broker '));
    try {
      expect(jvms).toHaveLength(1);
      expect(brokers).toHaveLength(1);
      process.kill(dev.child.pid!, 'SIGKILL');
      await waitFor(() => [dev.child.pid!, ...brokers].every((pid) => !alive(pid)), {
        timeoutMs: 5_000,
        what: 'the killed sluice dev and its broker to be gone',
      });
      const again = startSluice(['dev', '--port', '0', '--zookeeper-ensemble', '1', '--data-dir', dataDir]);
      expect(await again.exited).toBe(1);
      expect(again.stderr()).toContain(
        `left ZooKeeper node 1 (pid ${jvms[0]}) running; stop them (kill ${jvms[0]}) and start again`,
      );
    } finally {
      await dev.kill('SIGKILL');
      for (const pid of tree) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor(() => tree.every((pid) => !alive(pid)), { what: 'the JVM to be gone' });
      await removeDataDir();
    }
  }, 120_000);

  it("names a previous run's leftover processes instead of failing on a port", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-dev-leftover-'));
    // Stands in for a broker a previous run left behind: alive, and a sluice process by its command line.
    const leftover = startProcess(process.execPath, [
      '-e',
      'setInterval(() => {}, 1000)',
      'sluice',
      'broker',
    ]);
    try {
      await writeFile(
        join(dataDir, 'sluice-dev.pid'),
        JSON.stringify({ pid: 2 ** 22 + 1, brokers: [{ id: 2, pid: leftover.child.pid }] }),
      );
      const dev = startSluice(['dev', '--port', '0', '--zookeeper-port', '0', '--data-dir', dataDir]);
      expect(await dev.exited).toBe(1);
      expect(dev.stderr()).toContain(
        `sluice dev: a previous sluice dev on data dir ${dataDir} left broker 2 (pid ${leftover.child.pid}) running; stop them (kill ${leftover.child.pid}) and start again`,
      );
      expect(dev.stdout()).not.toContain('coordinator listening');
    } finally {
      await leftover.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
