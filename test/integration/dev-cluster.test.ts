import { describe, expect, it } from 'vitest';
import { commandOf, descendantsOf } from '../support/process-tree.js';
import { runToEnd, startSluice, type RunningProcess } from '../support/processes.js';
import { interruptAndExpectTreeGone, startSluiceDev } from '../support/sluice-dev.js';
import { waitFor } from '../support/wait.js';

/**
 * `sluice dev --brokers 3` as a user runs it, on the embedded coordinator and on a local 3-node Apache
 * ZooKeeper ensemble: three brokers in the metadata, new topics replicated three ways, Ctrl-C leaves
 * no broker or JVM behind.
 */

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; replicas: { id: number }[] }[] }[];
}

/** kcat sees three brokers, and a topic created with the broker defaults gets three replicas. */
async function expectThreeWayCluster(dev: RunningProcess, bootstrap: string): Promise<void> {
  expect(dev.stdout()).toContain('new topics: replication factor 3, min.insync.replicas 2');
  const listed = await runToEnd('kcat', ['-L', '-J', '-b', bootstrap]);
  const metadata = JSON.parse(listed.stdout) as KcatMetadata;
  expect(metadata.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);

  const create = startSluice([
    'topics',
    'create',
    '--topic',
    'three-way',
    '--partitions',
    '2',
    '--bootstrap-server',
    bootstrap,
  ]);
  expect(await create.exited, create.stderr()).toBe(0);
  await waitFor(
    async () => {
      const { stdout } = await runToEnd('kcat', ['-L', '-J', '-b', bootstrap, '-t', 'three-way']);
      const topic = (JSON.parse(stdout) as KcatMetadata).topics.find((t) => t.topic === 'three-way');
      return topic?.partitions.length === 2 && topic.partitions.every((p) => p.replicas.length === 3);
    },
    { timeoutMs: 20_000, what: 'topic three-way with 3 replicas per partition' },
  );
}

describe('sluice dev --brokers 3', () => {
  it('embedded coordinator: three brokers, replication factor 3 by default, SIGINT stops the tree', async () => {
    const { dev, bootstrap, removeDataDir } = await startSluiceDev(3, ['--log-level', 'info']);
    try {
      await expectThreeWayCluster(dev, bootstrap);
      // --log-level info shows the brokers' info records, one readable line each, tagged per broker.
      expect(dev.stderr()).toMatch(
        /^\[broker 1\] \d\d:\d\d:\d\d\.\d{3} INFO {2}broker broker=1: broker started/m,
      );
      expect(dev.stderr()).not.toMatch(/"level":/);
      const children = descendantsOf(dev.child.pid!);
      expect(children.filter((pid) => commandOf(pid).includes(' broker '))).toHaveLength(3);
      await interruptAndExpectTreeGone(dev, children, 'every child process to be gone');
    } finally {
      await dev.kill('SIGKILL');
      await removeDataDir();
    }
  }, 150_000);

  it('--zookeeper-ensemble 3: Apache ZooKeeper JVMs and three brokers, SIGINT leaves no java or broker process', async () => {
    const { dev, bootstrap, zookeeper, removeDataDir } = await startSluiceDev(3, [
      '--zookeeper-ensemble',
      '3',
    ]);
    try {
      expect(zookeeper.split(',')).toHaveLength(3);
      await expectThreeWayCluster(dev, bootstrap);
      const children = descendantsOf(dev.child.pid!);
      expect(children.filter((pid) => commandOf(pid).includes('QuorumPeerMain'))).toHaveLength(3);
      expect(children.filter((pid) => commandOf(pid).includes(' broker '))).toHaveLength(3);
      await interruptAndExpectTreeGone(dev, children, 'every JVM and broker to be gone');
    } finally {
      await dev.kill('SIGKILL');
      await removeDataDir();
    }
  }, 150_000);

  it('--zookeeper-ensemble without Apache ZooKeeper installed: one line saying how to install it, exit 1', async () => {
    // A JAVA_HOME without java makes the package look absent, as on a machine without it.
    const dev = startSluice(['dev', '--zookeeper-ensemble', '3', '--port', '0'], {
      env: { JAVA_HOME: '/nonexistent-java-home' },
    });
    expect(await dev.exited).toBe(1);
    expect(dev.stdout()).toBe('');
    expect(dev.stderr().trim().split('\n')).toEqual([
      "sluice dev: --zookeeper-ensemble: Apache ZooKeeper is not installed: install Debian's zookeeper package: apt-get install zookeeper",
    ]);
  }, 40_000);
});
