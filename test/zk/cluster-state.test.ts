import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { zkPaths } from '../../coordinator/zk-paths.js';
import { waitFor } from '../support/wait.js';
import type { WatchEvent, Watcher } from '../../coordinator/zk-session.js';
import { expectZooKeeperError } from './support/expect-zk.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { CONFORMANCE_TARGETS, SessionPool, startTarget, type ZooKeeperTarget } from './support/zk-targets.js';

/**
 * The cluster-state layer against both servers. Each test works under its own chroot
 * (connection string "host:port/<root>"), so the absolute Kafka paths never collide between tests.
 */

/** Arms a watch through `read` and, once the read has returned, gives the promise of its event. */
async function armed(read: (watcher: Watcher) => Promise<unknown>): Promise<{ next: Promise<WatchEvent> }> {
  let fire!: Watcher;
  const next = new Promise<WatchEvent>((resolve) => (fire = resolve));
  await read(fire);
  // Wrapped: an async function returning the bare promise would wait for the event itself.
  return { next };
}

describe.each(CONFORMANCE_TARGETS)('cluster state on %s', (targetName) => {
  let target: ZooKeeperTarget;
  let proxy: TcpProxy | undefined;
  const pool = new SessionPool(() => target.connectionString);
  let chrootCounter = 0;

  beforeAll(async () => {
    target = await startTarget(targetName);
  });
  afterEach(async () => {
    await pool.closeAll();
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(() => target?.close());

  /** Two ClusterStates (two sessions) sharing a fresh chroot. */
  async function states(count = 2, via?: string) {
    const chroot = `/cs-${targetName}-${process.pid}-${chrootCounter++}`;
    const admin = await pool.connect();
    await admin.create(chroot);
    const result: ClusterState[] = [];
    for (let i = 0; i < count; i++) {
      const base = i === 0 && via ? via : target.connectionString;
      result.push(new ClusterState(await pool.connect({ connectionString: `${base}${chroot}` })));
    }
    await result[0]!.ensureTopLevelPaths();
    return result;
  }

  it('registers brokers with Kafka JSON, lists and watches them', async () => {
    const [a, b] = await states();
    const watched = await armed((w) => b!.listBrokerIds(w));
    await a!.registerBroker({
      id: 2,
      endpoints: [{ listener: 'PLAINTEXT', host: '127.0.0.1', port: 19092, securityProtocol: 'PLAINTEXT' }],
    });
    expect(await watched.next).toEqual({ type: 'childrenChanged', path: zkPaths.brokerIds });
    await expectZooKeeperError(b!.registerBroker({ id: 2, endpoints: [] }), 'NODEEXISTS');
    await a!.registerBroker({
      id: 1,
      endpoints: [{ listener: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }],
      rack: 'r1',
    });
    await waitFor(async () => (await b!.listBrokerIds()).length === 2, { what: 'both brokers' });
    expect(await b!.listBrokerIds()).toEqual([1, 2]);
    const broker = await b!.readBroker(2);
    expect(broker).toMatchObject({ id: 2, host: '127.0.0.1', port: 19092, rack: null, jmxPort: -1 });
    const raw = JSON.parse((await b!.session.getData(zkPaths.broker(1))).data.toString()) as Record<
      string,
      unknown
    >;
    expect(raw).toMatchObject({ version: 5, endpoints: ['PLAINTEXT://h:1'], rack: 'r1' });
    expect((await b!.session.exists(zkPaths.broker(1)))!.ephemeralOwner).toBe(a!.session.sessionId);
    expect((await b!.readBrokers()).map((x) => x.id)).toEqual([1, 2]);
  });

  it('creates topics with config atomically, lists, watches and deletes them', async () => {
    const [a, b] = await states();
    const listed = await armed((w) => b!.listTopics(w));
    await a!.createTopic(
      'orders',
      [
        [1, 2],
        [2, 1],
      ],
      { 'retention.ms': '1000' },
    );
    expect(await listed.next).toMatchObject({ type: 'childrenChanged' });
    await expectZooKeeperError(a!.createTopic('orders', [[1]]), 'NODEEXISTS');
    await expect(a!.createTopic('bad/name', [[1]])).rejects.toThrow(/illegal topic name/);
    await expect(a!.createTopic('empty', [])).rejects.toThrow(/at least one partition/);

    await waitFor(() => b!.readTopicAssignment('orders'), { what: 'topic visible' });
    expect(await b!.readTopicAssignment('orders')).toEqual({
      value: [
        [1, 2],
        [2, 1],
      ],
      version: 0,
    });
    expect(await b!.readTopicConfig('orders')).toEqual({ 'retention.ms': '1000' });
    expect(await b!.listTopics()).toEqual(['orders']);
    const newVersion = await a!.updateTopicAssignment(
      'orders',
      [
        [1, 2],
        [2, 1],
        [1, 2],
      ],
      0,
    );
    expect(newVersion).toBe(1);
    await expectZooKeeperError(a!.updateTopicAssignment('orders', [[1]], 0), 'BADVERSION');

    await a!.writeTopicConfig('orders', { 'retention.ms': '5' });
    expect(await a!.readTopicConfig('orders')).toEqual({ 'retention.ms': '5' });

    await a!.createPartitionState(
      { topic: 'orders', partition: 0 },
      { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] },
    );
    const deletions = await armed((w) => b!.listTopicDeletions(w));
    await a!.requestTopicDeletion('orders');
    await expectZooKeeperError(a!.requestTopicDeletion('missing'), 'NONODE');
    expect(await deletions.next).toMatchObject({ type: 'childrenChanged' });
    expect(await a!.listTopicDeletions()).toEqual(['orders']);
    await a!.completeTopicDeletion('orders');
    expect(await a!.listTopics()).toEqual([]);
    expect(await a!.listTopicDeletions()).toEqual([]);
    expect(await a!.readTopicConfig('orders')).toBeNull();
    expect(await a!.readTopicAssignment('orders')).toBeNull();
  });

  it('updates partition state only at the expected znode version', async () => {
    const [a, b] = await states();
    const tp = { topic: 't', partition: 0 };
    await a!.createTopic('t', [[1, 2, 3]]);
    expect(await a!.readPartitionState(tp)).toBeNull();
    await a!.createPartitionState(tp, { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2, 3] });
    await waitFor(() => b!.readPartitionState(tp), { what: 'state visible' });
    const watched = await armed((w) => b!.readPartitionState(tp, w));

    const v1 = await a!.updatePartitionState(
      tp,
      { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] },
      0,
    );
    expect(v1).toBe(1);
    expect(await watched.next).toEqual({ type: 'dataChanged', path: zkPaths.partitionState(tp) });
    // A writer holding the old version loses, and learns by BADVERSION.
    await expectZooKeeperError(
      b!.updatePartitionState(tp, { leader: 2, leaderEpoch: 1, controllerEpoch: 1, isr: [2] }, 0),
      'BADVERSION',
    );
    expect(await a!.readPartitionState(tp)).toEqual({
      value: { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] },
      version: 1,
    });
  });

  it('elects one controller, bumps the epoch, and fences the deposed one', async () => {
    const [a, b] = await states();
    const tp = { topic: 'f', partition: 0 };
    expect(await a!.readControllerEpoch()).toEqual({ value: 0, version: 0 });
    const first = await a!.electController(1);
    expect(first).toEqual({ elected: true, epoch: 1, epochVersion: 1 });
    expect(await b!.electController(2)).toEqual({ elected: false, controllerId: 1 });
    expect(await b!.readControllerId()).toBe(1);
    expect(JSON.parse((await b!.session.getData(zkPaths.controller)).data.toString())).toMatchObject({
      version: 1,
      brokerid: 1,
    });
    expect((await b!.session.getData(zkPaths.controllerEpoch)).data.toString()).toBe('1');

    await a!.createTopic('f', [[1]]);
    await a!.createPartitionState(tp, { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1] }, 1);

    // Controller 1 goes away; 2 takes over with epoch 2.
    const gone = await armed((w) => b!.readControllerId(w));
    await a!.resignController(1);
    expect(await gone.next).toMatchObject({ type: 'deleted' });
    const second = await b!.electController(2);
    expect(second).toEqual({ elected: true, epoch: 2, epochVersion: 2 });

    // The old controller's fenced write fails on the epoch check; the new one's succeeds.
    await expect(
      a!.updatePartitionState(tp, { leader: 1, leaderEpoch: 1, controllerEpoch: 1, isr: [1] }, 0, 1),
    ).rejects.toMatchObject({ codeName: 'BADVERSION', failedOpIndex: 0 });
    expect(
      await b!.updatePartitionState(tp, { leader: 1, leaderEpoch: 1, controllerEpoch: 2, isr: [1] }, 0, 2),
    ).toBe(1);
  });

  it('creates the cluster id once and hands out disjoint producer id blocks', async () => {
    const [a, b] = await states();
    const ids = await Promise.all([a!.getOrCreateClusterId(), b!.getOrCreateClusterId()]);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.parse((await a!.session.getData(zkPaths.clusterId)).data.toString())).toEqual({
      version: '1',
      id: ids[0],
    });

    const blocks = await Promise.all([
      a!.allocateProducerIdBlock(1),
      b!.allocateProducerIdBlock(2),
      a!.allocateProducerIdBlock(1),
      b!.allocateProducerIdBlock(2),
    ]);
    const starts = blocks.map((block) => block.blockStart).sort((x, y) => (x < y ? -1 : 1));
    expect(starts).toEqual([0n, 1000n, 2000n, 3000n]);
    for (const block of blocks) expect(block.blockEnd - block.blockStart).toBe(999n);
    // The last block may have been written through b's server; a's server shows it a moment later.
    const readBlock = async () =>
      JSON.parse((await a!.session.getData(zkPaths.producerIdBlock)).data.toString()) as Record<
        string,
        unknown
      >;
    const stored = await waitFor(
      async () => {
        const block = await readBlock();
        return block.block_start === '3000' ? block : null;
      },
      { what: 'last block visible' },
    );
    expect(stored).toMatchObject({ version: 1, block_start: '3000', block_end: '3999' });
  });

  it('runs a ZooKeeper consumer group: members, exclusive owners, offsets, assignment', async () => {
    const [a, b] = await states();
    const tp = { topic: 't', partition: 1 };
    await a!.registerConsumer('g', 'c1', ['t']);
    await b!.registerConsumer('g', 'c2', ['t']);
    await waitFor(async () => (await a!.listConsumers('g')).length === 2, { what: 'two members' });
    const members = await a!.readConsumers('g');
    expect(members.map((m) => m.consumerId)).toEqual(['c1', 'c2']);
    expect(members[0]!.czxid).toBeLessThan(members[1]!.czxid);
    expect(members[0]).toMatchObject({ subscription: { t: 1 }, pattern: 'static' });

    expect(await a!.claimPartition('g', tp, 'c1')).toBeNull();
    expect(await a!.claimPartition('g', tp, 'c1')).toBeNull();
    expect(await b!.claimPartition('g', tp, 'c2')).toBe('c1');
    const released = await armed((w) => b!.readPartitionOwner('g', tp, w));
    await b!.releasePartition('g', tp, 'c2'); // not c2's: no effect
    await a!.releasePartition('g', tp, 'c1');
    expect(await released.next).toMatchObject({ type: 'deleted' });
    expect(await b!.claimPartition('g', tp, 'c2')).toBeNull();
    await waitFor(async () => (await a!.readPartitionOwner('g', tp)) === 'c2', {
      what: 'c2 owns the partition',
    });

    expect(await a!.readOffset('g', tp)).toBeNull();
    await a!.commitOffset('g', tp, 41n);
    await a!.commitOffset('g', tp, 42n);
    await a!.commitOffset('g', { topic: 'u', partition: 0 }, 7);
    expect(await a!.readOffset('g', tp)).toBe(42n);
    expect((await a!.session.getData(zkPaths.partitionOffset('g', tp))).data.toString()).toBe('42');
    expect(await a!.readGroupOffsets('g')).toEqual(
      new Map([
        ['t', new Map([[1, 42n]])],
        ['u', new Map([[0, 7n]])],
      ]),
    );

    const assignment = { generation: 1, members: ['c1', 'c2'], partitions: { t: { 0: 'c1', 1: 'c2' } } };
    expect(await a!.readGroupAssignment('g')).toBeNull();
    expect(await a!.writeGroupAssignment('g', assignment, null)).toBe(0);
    await expectZooKeeperError(a!.writeGroupAssignment('g', assignment, null), 'NODEEXISTS');
    expect(await a!.writeGroupAssignment('g', { ...assignment, generation: 2 }, 0)).toBe(1);
    await expectZooKeeperError(b!.writeGroupAssignment('g', assignment, 0), 'BADVERSION');
    expect((await b!.readGroupAssignment('g'))?.value.generation).toBe(2);
    expect(await a!.listGroups()).toEqual(['g']);
    await expectZooKeeperError(a!.deleteGroup('g'), 'NOTEMPTY');
  });

  it('refuses to keep a broker id that a live broker holds', async () => {
    const [a] = await states(1);
    const chrooted = a!.session.connectionString;
    const endpoints = [{ listener: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }];
    await a!.keepBrokerRegistered({ id: 9, endpoints });
    const rival = new ClusterState(
      await pool.connect({ connectionString: chrooted, sessionTimeoutMs: 1_000 }),
    );
    await expectZooKeeperError(rival.keepBrokerRegistered({ id: 9, endpoints }), 'NODEEXISTS');
    expect((await rival.session.exists(zkPaths.broker(9)))!.ephemeralOwner).toBe(a!.session.sessionId);
  });

  it('re-registers a broker on a new session after expiry', async () => {
    proxy = await startTcpProxy('127.0.0.1', target.primaryPort);
    const [broker, observer] = await states(2, proxy.address);
    // Short sessions so expiry is quick; the proxied session is re-opened with the minimum timeout.
    const chrooted = broker!.session.connectionString;
    await broker!.session.close();
    const expiring = new ClusterState(
      await pool.connect({ connectionString: chrooted, sessionTimeoutMs: 1_000 }),
    );
    await expiring.keepBrokerRegistered({
      id: 5,
      endpoints: [{ listener: 'PLAINTEXT', host: 'h', port: 5, securityProtocol: 'PLAINTEXT' }],
    });
    const first = await waitFor(() => observer!.session.exists(zkPaths.broker(5)), { what: 'registered' });
    const deleted = await observer!.session.watchData(zkPaths.broker(5));
    const renewed = new Promise<bigint>((resolve) => expiring.session.once('sessionEstablished', resolve));
    proxy.cut();
    expect(await deleted.next).toMatchObject({ type: 'deleted' });
    proxy.restore();
    const newSession = await renewed;
    const again = await waitFor(() => observer!.session.exists(zkPaths.broker(5)), { what: 're-registered' });
    expect(again.ephemeralOwner).toBe(newSession);
    expect(again.ephemeralOwner).not.toBe(first.ephemeralOwner);
  });
});
