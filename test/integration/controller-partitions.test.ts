import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRequestError } from '../../broker/controller/index.js';
import { zkPaths } from '../../coordinator/zk-paths.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { waitFor } from '../support/wait.js';
import { SimCluster } from '../support/controller-harness.js';

/**
 * What the active controller writes to partition state as brokers come and go, against the embedded
 * ZooKeeper server with brokers simulated as real sessions. Brokers 1–3 hold replicas; broker 9 runs
 * the controller in most tests, so the test decides which replica broker dies.
 */

let server: EmbeddedZooKeeper;
let cluster: SimCluster | undefined;

beforeAll(async () => {
  server = await startZooKeeperServer({ port: 0, tickTime: 500 });
});
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});
afterAll(() => server.close());

async function codeOf(promise: Promise<unknown>): Promise<number | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    if (error instanceof ControllerRequestError) return error.code;
    throw error;
  }
}

describe('topic creation', () => {
  it('assigns replicas over the live brokers and writes every partition state, leaders spread evenly', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const brokers = await Promise.all([1, 2, 3].map((id) => c.broker(id)));
    const active = await c.oneActiveController();
    // Any broker may create a topic; the active controller writes the partition states.
    const requester = brokers.find((b) => b !== active)!;
    const assignment = await requester.controller!.createTopic('spread', {
      partitions: 6,
      replicationFactor: 3,
      config: { 'retention.ms': '1000' },
    });
    const states = await c.waitForAllStates('spread', 6);
    const leaders = new Map<number, number>();
    states.forEach((state, p) => {
      expect(new Set(assignment[p]).size).toBe(3);
      expect(state).toEqual({
        leader: assignment[p]![0],
        leaderEpoch: 0,
        controllerEpoch: active.controller!.epoch,
        isr: assignment[p],
      });
      leaders.set(state.leader, (leaders.get(state.leader) ?? 0) + 1);
    });
    expect([...leaders.values()]).toEqual([2, 2, 2]);
    expect(await c.admin.readTopicConfig('spread')).toEqual({ 'retention.ms': '1000' });
    const raw = JSON.parse(
      (
        await c.admin.session.getData(zkPaths.partitionState({ topic: 'spread', partition: 0 }))
      ).data.toString(),
    ) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(['controller_epoch', 'isr', 'leader', 'leader_epoch', 'version']);

    expect(await codeOf(requester.controller!.createTopic('spread', { partitions: 1 }))).toBe(36);
    expect(await codeOf(requester.controller!.createTopic('big', { replicationFactor: 4 }))).toBe(38);
    expect(await codeOf(requester.controller!.createTopic('bad', { assignment: [[1, 7]] }))).toBe(39);
    expect(await c.admin.readTopicAssignment('big')).toBeNull();
  });

  it('brings up partitions of a topic created while no replica was live once one registers', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9);
    await c.broker(1, { controller: false });
    await c.admin.createTopic('later', [[2, 1], [2]]); // as an admin tool would write it
    await c.waitForState('later', 0, (s) => s.leader === 1, 'leader 1 (2 is not live)');
    expect(await c.state('later', 1)).toBeNull();
    await c.broker(2, { controller: false });
    expect(await c.waitForState('later', 1, () => true, 'created')).toMatchObject({ leader: 2, isr: [2] });
    expect(await c.state('later', 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 0 });
  });
});

describe('broker loss and return', () => {
  it('moves leadership to the next live ISR member in assignment order, bumping epochs, with conditional writes', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9);
    const [b1] = [
      await c.broker(1, { controller: false }),
      await c.broker(2, { controller: false }),
      await c.broker(3, { controller: false }),
    ];
    await c.admin.createTopic('t', [
      [1, 2, 3],
      [2, 3, 1],
      [1, 3, 2],
    ]);
    await c.waitForAllStates('t', 3);
    // The leader of partition 1 drops broker 3 from its ISR itself (a lagging follower): the controller
    // must decide from that newer state (it watches the state znodes), not from what it wrote.
    await c.leaderWritesIsr('t', 1, [2, 1]);
    const before = await Promise.all([0, 1, 2].map((p) => c.stateWithVersion('t', p)));

    await b1!.crash();
    const p0 = await c.waitForState('t', 0, (s) => s.leader !== 1, 'leader moved off broker 1');
    expect(p0).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
    // Partition 2's assignment order is [1, 3, 2]: broker 3 comes before broker 2.
    expect(await c.waitForState('t', 2, (s) => s.leader !== 1, 'moved')).toMatchObject({
      leader: 3,
      leaderEpoch: 1,
      isr: [3, 2],
    });
    // Broker 1 followed partition 1: it leaves the ISR (Kafka bumps the epoch for that too).
    expect(await c.waitForState('t', 1, (s) => !s.isr.includes(1), 'isr shrunk')).toMatchObject({
      leader: 2,
      leaderEpoch: 1,
      isr: [2],
    });
    const after = await Promise.all([0, 1, 2].map((p) => c.stateWithVersion('t', p)));
    after.forEach((state, p) => expect(state!.version).toBe(before[p]!.version + 1));
  });

  it('fails over hundreds of partitions quickly (pipelined fenced writes)', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9);
    const [b1] = [
      await c.broker(1, { controller: false }),
      await c.broker(2, { controller: false }),
      await c.broker(3, { controller: false }),
    ];
    const partitions = 600;
    const createdAt = Date.now();
    await c.admin.createTopic(
      'wide',
      Array.from({ length: partitions }, (_, p) => [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)]),
    );
    // Polled slowly: the server, the controller and this test share one process.
    await waitFor(
      async () =>
        (await c.admin.session.getChildren(zkPaths.partitions('wide')).catch(() => ({ children: [] })))
          .children.length === partitions,
      { timeoutMs: 30_000, intervalMs: 100, what: 'partition nodes' },
    );
    await c.waitForAllStates('wide', partitions, 30_000);
    const createMs = Date.now() - createdAt;
    const crashedAt = Date.now();
    await b1!.crash();
    await waitFor(
      async () => {
        const states = await Promise.all(Array.from({ length: partitions }, (_, p) => c.state('wide', p)));
        return states.every((s) => s !== null && s.leader !== 1 && !s.isr.includes(1));
      },
      { timeoutMs: 30_000, what: 'every partition off broker 1', intervalMs: 100 },
    );
    const failoverMs = Date.now() - crashedAt;
    console.log(
      `controller: ${partitions} partitions online in ${createMs} ms; broker loss handled in ${failoverMs} ms`,
    );
    expect(failoverMs).toBeLessThan(5_000);
  });

  it('takes a partition offline when no ISR member is live, and back online when one returns', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9);
    const b1 = await c.broker(1, { controller: false });
    await c.broker(2, { controller: false });
    await c.admin.createTopic('solo', [[1, 2]]);
    await c.waitForAllStates('solo', 1);
    await c.leaderWritesIsr('solo', 0, [1]); // broker 2 fell behind
    await b1.crash();
    const offline = await c.waitForState('solo', 0, (s) => s.leader === -1, 'offline');
    expect(offline).toMatchObject({ leader: -1, leaderEpoch: 1, isr: [1] });
    // Broker 2 is live but not in sync: it must not lead (unclean election is off).
    await c.broker(4, { controller: false }); // an unrelated broker change makes the controller look again
    await waitFor(async () => (await c.admin.listBrokerIds()).includes(4), { what: 'broker 4' });
    expect(await c.stateWithVersion('solo', 0)).toMatchObject({ value: offline });

    await c.broker(1, { controller: false });
    expect(await c.waitForState('solo', 0, (s) => s.leader === 1, 'back online')).toMatchObject({
      leader: 1,
      leaderEpoch: 2,
      isr: [1],
    });
  });

  it('elects an out-of-sync replica when unclean election is enabled (broker setting or topic override)', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9);
    const b1 = await c.broker(1, { controller: false });
    await c.broker(2, { controller: false });
    await c.admin.createTopic('clean', [[1, 2]]);
    await c.admin.createTopic('dirty', [[1, 2]], { 'unclean.leader.election.enable': 'true' });
    await c.waitForAllStates('clean', 1);
    await c.waitForAllStates('dirty', 1);
    await c.leaderWritesIsr('clean', 0, [1]);
    await c.leaderWritesIsr('dirty', 0, [1]);
    await b1.crash();
    expect(await c.waitForState('dirty', 0, (s) => s.leader !== 1, 'unclean leader')).toMatchObject({
      leader: 2,
      leaderEpoch: 1,
      isr: [2],
    });
    expect(await c.waitForState('clean', 0, (s) => s.leader !== 1, 'offline')).toMatchObject({ leader: -1 });

    // With unclean.leader.election.enable=true on the broker, every topic elects out of sync.
    const other = await SimCluster.create(server.connectionString);
    try {
      await other.broker(9, { settings: { uncleanLeaderElectionEnable: true } });
      const x1 = await other.broker(1, { controller: false });
      await other.broker(2, { controller: false });
      await other.admin.createTopic('any', [[1, 2]]);
      await other.waitForAllStates('any', 1);
      await other.leaderWritesIsr('any', 0, [1]);
      await x1.crash();
      expect(await other.waitForState('any', 0, (s) => s.leader !== 1, 'unclean leader')).toMatchObject({
        leader: 2,
        isr: [2],
      });
    } finally {
      await other.close();
    }
  });

  it('treats a broker that restarted unseen (same ids, new registration czxid) as dead, then returned', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const controller = await c.broker(9, { viaProxy: true, sessionTimeoutMs: 20_000 });
    const b1 = await c.broker(1, { controller: false });
    await c.broker(2, { controller: false });
    await c.admin.createTopic('bounce', [[1, 2]]);
    await c.waitForAllStates('bounce', 1);
    // The controller is cut off while broker 1 restarts, so its next read shows the same ids.
    controller.proxy!.cut();
    await b1.crash();
    await c.broker(1, { controller: false });
    expect(await c.admin.listBrokerIds()).toEqual([1, 2, 9]);
    controller.proxy!.restore();
    // Broker 1 came back with an empty or stale log: it must not stay leader.
    expect(await c.waitForState('bounce', 0, (s) => s.leaderEpoch > 0, 'reacted')).toMatchObject({
      leader: 2,
      leaderEpoch: 1,
      isr: [2],
    });
  });
});

describe('preferred leaders', () => {
  it('restores the preferred replica as leader once it is back in the ISR (periodic check)', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9, { settings: { autoLeaderRebalanceEnable: true }, leaderRebalanceIntervalMs: 200 });
    const b1 = await c.broker(1, { controller: false });
    await c.broker(2, { controller: false });
    await c.admin.createTopic('pref', [[1, 2]]);
    await c.waitForAllStates('pref', 1);
    await b1.crash();
    await c.waitForState('pref', 0, (s) => s.leader === 2, 'failover to 2');
    await c.broker(1, { controller: false });
    // Back, but not in sync: leadership stays with 2.
    await waitFor(async () => (await c.admin.listBrokerIds()).includes(1), { what: 'broker 1 back' });
    expect(await c.state('pref', 0)).toMatchObject({ leader: 2, isr: [2] });
    // The leader re-admits broker 1 once it caught up; the controller then hands leadership back.
    await c.leaderWritesIsr('pref', 0, [2, 1]);
    expect(await c.waitForState('pref', 0, (s) => s.leader === 1, 'preferred leader')).toMatchObject({
      leader: 1,
      leaderEpoch: 2,
      isr: [2, 1],
    });
  });

  it('runs on demand when auto rebalance is off, only on the active controller', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const controller = await c.broker(9);
    const b1 = await c.broker(1);
    await c.broker(2, { controller: false });
    await c.admin.createTopic('pref', [[1, 2]]);
    await c.waitForAllStates('pref', 1);
    await c.leaderWritesIsr('pref', 0, [1, 2]);
    // Move leadership by hand (as a failover would have) and check nothing moves it back by itself.
    const current = await c.stateWithVersion('pref', 0);
    await c.admin.updatePartitionState(
      { topic: 'pref', partition: 0 },
      { ...current!.value, leader: 2, leaderEpoch: 1 },
      current!.version,
    );
    expect(await codeOf(b1.controller!.electPreferredLeaders())).toBe(41);
    // The controller learns of the hand-made change through its watch; retry until it has.
    await waitFor(async () => (await controller.controller!.electPreferredLeaders()) === 1, {
      what: 'preferred leader elected',
    });
    expect(await c.state('pref', 0)).toMatchObject({ leader: 1, leaderEpoch: 2 });
    expect(await controller.controller!.electPreferredLeaders()).toBe(0);
  });
});

describe('topic deletion', () => {
  it('deletes partition states, the topic, its config and then the request', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const brokers = await Promise.all([1, 2].map((id) => c.broker(id)));
    await brokers[0]!.controller!.createTopic('doomed', {
      partitions: 3,
      replicationFactor: 2,
      config: { 'retention.ms': '5' },
    });
    await brokers[0]!.controller!.createTopic('kept', { partitions: 1, replicationFactor: 1 });
    await c.waitForAllStates('doomed', 3);
    await brokers[1]!.controller!.deleteTopic('doomed');
    await waitFor(async () => (await c.admin.listTopicDeletions()).length === 0, { what: 'request handled' });
    expect(await c.admin.listTopics()).toEqual(['kept']);
    expect(await c.admin.session.exists(zkPaths.topic('doomed'))).toBeNull();
    expect(await c.admin.session.exists(zkPaths.topicConfig('doomed'))).toBeNull();
    expect(await c.state('doomed', 0)).toBeNull();
    expect(await codeOf(brokers[0]!.controller!.deleteTopic('doomed'))).toBe(3);
    // The name is free again, and a new topic under it gets fresh state.
    await brokers[0]!.controller!.createTopic('doomed', { partitions: 1, replicationFactor: 1 });
    expect(await c.waitForState('doomed', 0, () => true, 'recreated')).toMatchObject({ leaderEpoch: 0 });
    expect(await c.admin.readTopicConfig('doomed')).toEqual({});
  });

  it('only drops the request when delete.topic.enable=false', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const b = await c.broker(1, { settings: { deleteTopicEnable: false } });
    await b.controller!.createTopic('stays', { partitions: 1, replicationFactor: 1 });
    await c.waitForAllStates('stays', 1);
    await b.controller!.deleteTopic('stays');
    await waitFor(async () => (await c.admin.listTopicDeletions()).length === 0, { what: 'request dropped' });
    expect(await c.admin.listTopics()).toEqual(['stays']);
    expect(await c.state('stays', 0)).not.toBeNull();
  });
});

describe('controlled shutdown', () => {
  it('moves leadership off the broker and drops it from ISRs before it leaves', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    await c.broker(9, { settings: { autoLeaderRebalanceEnable: true }, leaderRebalanceIntervalMs: 100 });
    const brokers = [await c.broker(1), await c.broker(2), await c.broker(3)];
    const b1 = brokers[0]!;
    await c.admin.createTopic('t', [
      [1, 2, 3],
      [2, 1, 3],
      [3, 2, 1],
      [1, 3, 2],
    ]);
    await c.admin.createTopic('only-on-1', [[1]]);
    await c.waitForAllStates('t', 4);
    await c.waitForAllStates('only-on-1', 1);
    const before = await Promise.all([0, 1, 2, 3].map((p) => c.state('t', p)));

    const startedAt = Date.now();
    const result = await b1.controller!.requestControlledShutdown(1, { timeoutMs: 10_000 });
    const elapsedMs = Date.now() - startedAt;
    expect(result.partitionsRemaining).toEqual([{ topic: 'only-on-1', partition: 0 }]);
    expect(elapsedMs).toBeLessThan(1_000);
    const after = await Promise.all([0, 1, 2, 3].map((p) => c.state('t', p)));
    expect(after.map((s) => s!.leader)).toEqual([2, 2, 3, 3]);
    after.forEach((s, p) => {
      expect(s!.isr).not.toContain(1);
      expect(s!.leaderEpoch).toBe(before[p]!.leaderEpoch + 1);
    });
    // While it is still registered, preferred-leader checks must not hand leadership back to it
    // (a negative check: watched over several 100 ms rebalance periods).
    await c.leaderWritesIsr('t', 0, [2, 3, 1]);
    const p0 = await c.stateWithVersion('t', 0);
    await observeFor(600);
    expect(await c.stateWithVersion('t', 0)).toEqual(p0);

    // Then it leaves; only the partition it alone held goes offline.
    await b1.crash();
    await c.waitForState('only-on-1', 0, (s) => s.leader === -1, 'offline');
    expect((await c.state('t', 0))!.leader).toBe(2);
  });

  it('works when the shutting-down broker is the controller itself, which then hands over', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const brokers = [await c.broker(1), await c.broker(2), await c.broker(3)];
    expect(brokers[0]!.controller!.isActive).toBe(true);
    await brokers[0]!.controller!.createTopic('t', {
      assignment: [
        [1, 2],
        [2, 1],
        [1, 3],
      ],
    });
    await c.waitForAllStates('t', 3);
    const result = await brokers[0]!.controller!.requestControlledShutdown(1, { timeoutMs: 10_000 });
    expect(result.partitionsRemaining).toEqual([]);
    expect(
      (await Promise.all([0, 1, 2].map((p) => c.state('t', p)))).map((s) => [s!.leader, s!.isr]),
    ).toEqual([
      [2, [2]],
      [2, [2]],
      [3, [3]],
    ]);
    await brokers[0]!.controller!.close();
    await brokers[0]!.crash();
    const next = await c.oneActiveController();
    expect(next.controller!.epoch).toBe(2);
  });

  it('times out with REQUEST_TIMED_OUT when no controller answers', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const lonely = await c.broker(1, { controller: false });
    const { startController } = await import('../../broker/controller/index.js');
    // A controller object on a broker whose controller role is never won: /controller is held by a stranger.
    await c.admin.session.create(
      zkPaths.controller,
      Buffer.from('{"version":1,"brokerid":77,"timestamp":"0"}'),
      'ephemeral',
    );
    const controller = await startController({
      session: lonely.session,
      brokerId: 1,
      config: {
        uncleanLeaderElectionEnable: false,
        autoLeaderRebalanceEnable: false,
        deleteTopicEnable: true,
        numPartitions: 1,
        defaultReplicationFactor: 1,
      },
    });
    try {
      expect(controller.isActive).toBe(false);
      expect(await codeOf(controller.requestControlledShutdown(1, { timeoutMs: 300 }))).toBe(7);
    } finally {
      await controller.close();
    }
  });
});

/** Lets time pass for negative checks ("nothing changes during N periods"); not used to synchronise. */
async function observeFor(ms: number): Promise<void> {
  const start = Date.now();
  await waitFor(() => Date.now() - start >= ms, { what: `${ms} ms to pass`, intervalMs: 50 });
}
