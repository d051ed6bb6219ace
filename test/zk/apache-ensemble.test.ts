import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apacheZooKeeperAvailable,
  startApacheZooKeeper,
  type ApacheZooKeeper,
} from '../../coordinator/apache-ensemble.js';
import { fourLetterWord, serverMode } from '../../coordinator/four-letter-word.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { waitFor } from '../support/wait.js';

/** The Apache ZooKeeper harness itself: quorum start, a node stopped and restarted, standalone mode. */

describe('Apache ZooKeeper harness', () => {
  let ensemble: ApacheZooKeeper;

  beforeAll(async () => {
    expect(apacheZooKeeperAvailable()).toBe(true);
    ensemble = await startApacheZooKeeper({ nodes: 3 });
  });
  afterAll(() => ensemble?.close());

  it('starts a 3-node quorum with one leader', async () => {
    expect(ensemble.nodes).toHaveLength(3);
    expect(ensemble.connectionString.split(',')).toHaveLength(3);
    const modes = await Promise.all(
      ensemble.nodes.map(async (node) => serverMode(await fourLetterWord('127.0.0.1', node.port, 'srvr'))),
    );
    expect(modes.sort()).toEqual(['follower', 'follower', 'leader']);
  });

  it('keeps serving with one node down, and the node rejoins', async () => {
    const session = await ZooKeeperSession.connect(ensemble.connectionString, { spinDelayMs: 100 });
    try {
      await session.create('/survives', Buffer.from('before'));
      const victim = ensemble.nodes[0]!;
      await victim.stop();
      expect(victim.isRunning()).toBe(false);
      await expect(fourLetterWord('127.0.0.1', victim.port, 'ruok', 500)).rejects.toThrow();
      // The client moves to a live node if it was on the stopped one; a quorum of 2 still commits.
      await waitFor(async () => (await session.setData('/survives', Buffer.from('during'))).version === 1, {
        what: 'write with one node down',
        timeoutMs: 20_000,
      });
      await victim.start();
      expect(['leader', 'follower']).toContain(
        serverMode(await fourLetterWord('127.0.0.1', victim.port, 'srvr')),
      );
      const direct = await ZooKeeperSession.connect(`127.0.0.1:${victim.port}`);
      try {
        await waitFor(async () => (await direct.getData('/survives')).data.toString() === 'during', {
          what: 'restarted node caught up',
        });
      } finally {
        await direct.close();
      }
    } finally {
      await session.close();
    }
  });

  it('runs a single standalone node', async () => {
    const single = await startApacheZooKeeper({ nodes: 1 });
    try {
      expect(single.connectionString).toBe(`127.0.0.1:${single.nodes[0]!.port}`);
      expect(serverMode(await fourLetterWord('127.0.0.1', single.nodes[0]!.port, 'srvr'))).toBe('standalone');
    } finally {
      await single.close();
    }
    await expect(fourLetterWord('127.0.0.1', single.nodes[0]!.port, 'ruok', 500)).rejects.toThrow();
  });
});
