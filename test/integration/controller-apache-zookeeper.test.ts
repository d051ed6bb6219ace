import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApacheZooKeeper, type ApacheZooKeeper } from '../../coordinator/apache-ensemble.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ControllerState, FencedOutError } from '../../coordinator/controller-state.js';
import { ZooKeeperMultiError } from '../../coordinator/zk-errors.js';
import { zkPaths } from '../../coordinator/zk-paths.js';
import { waitFor } from '../support/wait.js';
import { SimCluster } from '../support/controller-harness.js';

/**
 * The controller against real Apache ZooKeeper 3.8 (a 3-node ensemble from Debian's package, the
 * topology docker-compose runs): election and failover, topic creation, broker loss, controlled
 * shutdown, deletion, and the fence on a replaced controller's writes.
 */

let zookeeper: ApacheZooKeeper;

beforeAll(async () => {
  zookeeper = await startApacheZooKeeper({ nodes: 3 });
});
afterAll(() => zookeeper?.close());

describe('controller on an Apache ZooKeeper ensemble', () => {
  it('elects, creates topics, fails over leaders and the controller, shuts down cleanly, deletes', async () => {
    const c = await SimCluster.create(zookeeper.connectionString);
    try {
      const brokers = [await c.broker(1), await c.broker(2), await c.broker(3), await c.broker(4)];
      const first = await c.oneActiveController();
      expect(first.controller!.epoch).toBe(1);

      const assignment = await brokers[1]!.controller!.createTopic('orders', {
        partitions: 8,
        replicationFactor: 3,
      });
      const states = await c.waitForAllStates('orders', 8);
      const leaders = new Map<number, number>();
      states.forEach((s, p) => {
        expect(s).toMatchObject({ leader: assignment[p]![0], leaderEpoch: 0, isr: assignment[p] });
        leaders.set(s.leader, (leaders.get(s.leader) ?? 0) + 1);
      });
      expect([...leaders.values()]).toEqual([2, 2, 2, 2]);

      // The controller's broker dies: another broker becomes controller (epoch 2) and moves the
      // dead broker's leaderships to the next live ISR member, dropping it from every ISR.
      await first.crash();
      const second = await c.oneActiveController();
      expect(second.controller!.epoch).toBe(2);
      for (let p = 0; p < 8; p++) {
        const replicas = assignment[p]!;
        const state = await c.waitForState(
          'orders',
          p,
          (s) => !s.isr.includes(first.id),
          'dead broker out of ISR',
        );
        expect(state.leader).toBe(replicas.find((r) => r !== first.id));
        expect(state.leaderEpoch).toBe(replicas.includes(first.id) ? 1 : 0);
      }

      // Controlled shutdown of a non-controller broker.
      const leaving = brokers.find((b) => b !== first && b !== second)!;
      const result = await leaving.controller!.requestControlledShutdown(leaving.id, { timeoutMs: 15_000 });
      expect(result.partitionsRemaining).toEqual([]);
      for (let p = 0; p < 8; p++) {
        const state = await c.state('orders', p);
        expect(state!.leader).not.toBe(leaving.id);
        expect(state!.isr).not.toContain(leaving.id);
      }

      await second.controller!.deleteTopic('orders');
      await waitFor(async () => (await c.admin.listTopics()).length === 0, { what: 'topic deleted' });
      expect(await c.admin.listTopicDeletions()).toEqual([]);
      expect(await c.admin.session.exists(zkPaths.topicConfig('orders'))).toBeNull();
    } finally {
      await c.close();
    }
  });

  it('takes over within the session timeout when the controller session expires', async () => {
    const c = await SimCluster.create(zookeeper.connectionString);
    try {
      const stalled = await c.broker(1, { viaProxy: true, sessionTimeoutMs: 3_000 });
      expect(stalled.controller!.isActive).toBe(true);
      const others = [await c.broker(2), await c.broker(3)];
      await stalled.controller!.createTopic('led-by-1', { assignment: [[1, 3, 2]] });
      await c.waitForAllStates('led-by-1', 1);
      const timeoutMs = stalled.session.negotiatedTimeoutMs;
      const cutAt = Date.now();
      stalled.proxy!.cut();
      const state = await c.waitForState(
        'led-by-1',
        0,
        (s) => s.leader === 3,
        'leader moved to 3',
        timeoutMs + 10_000,
      );
      const failoverMs = Date.now() - cutAt;
      console.log(
        `controller (Apache ZooKeeper): session timeout ${timeoutMs} ms; new leader after ${failoverMs} ms`,
      );
      expect(state).toMatchObject({ leaderEpoch: 1, isr: [3, 2], controllerEpoch: 2 });
      expect(failoverMs).toBeLessThanOrEqual(timeoutMs + 2_000);
      expect(others.filter((b) => b.controller!.isActive)).toHaveLength(1);
      // The old controller comes back, finds its session expired, resigns and re-registers.
      stalled.proxy!.restore();
      await waitFor(async () => (await c.admin.listBrokerIds()).includes(1), {
        what: 'broker 1 re-registered',
        timeoutMs: 20_000,
      });
      expect(stalled.controller!.isActive).toBe(false);
    } finally {
      await c.close();
    }
  });

  it("fences a replaced controller's write with BADVERSION on the epoch check", async () => {
    const c = await SimCluster.create(zookeeper.connectionString);
    try {
      const a = await c.broker(1, { controller: false });
      const b = await c.broker(2, { controller: false });
      const aCluster = new ClusterState(a.session);
      const election = await aCluster.electController(1);
      if (!election.elected) throw new Error('broker 1 should win');
      await aCluster.createTopic('fenced', [[1, 2]]);
      const writer = new ControllerState(aCluster);
      const tp = { topic: 'fenced', partition: 0 };
      await writer.createPartitionState(
        tp,
        { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] },
        election.epochVersion,
      );
      await c.admin.session.delete(zkPaths.controller);
      expect(await new ClusterState(b.session).electController(2)).toMatchObject({ elected: true, epoch: 2 });
      const before = await c.stateWithVersion('fenced', 0);
      const error = await writer
        .updatePartitionState(
          tp,
          { leader: 2, leaderEpoch: 1, controllerEpoch: 1, isr: [2] },
          before!.version,
          election.epochVersion,
        )
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(FencedOutError);
      const cause = (error as FencedOutError).cause as ZooKeeperMultiError;
      expect([cause.failedOpIndex, cause.codeName]).toEqual([0, 'BADVERSION']);
      expect(await c.stateWithVersion('fenced', 0)).toEqual(before);
    } finally {
      await c.close();
    }
  });
});
