import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ControllerState, FencedOutError } from '../../coordinator/controller-state.js';
import { ZooKeeperMultiError } from '../../coordinator/zk-errors.js';
import { zkPaths } from '../../coordinator/zk-paths.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { waitFor } from '../support/wait.js';
import { startController } from '../../broker/controller/index.js';
import { DEFAULT_SETTINGS, SimCluster } from '../support/controller-harness.js';

/** Controller election, epochs, takeover and fencing against the embedded ZooKeeper server. */

let server: EmbeddedZooKeeper;
let cluster: SimCluster | undefined;

beforeAll(async () => {
  // tickTime 500: sessions may be as short as 1 s, so expiry scenarios take seconds.
  server = await startZooKeeperServer({ port: 0, tickTime: 500 });
});
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});
afterAll(() => server.close());

async function readControllerJson(c: SimCluster): Promise<Record<string, unknown>> {
  return JSON.parse((await c.admin.session.getData(zkPaths.controller)).data.toString()) as Record<
    string,
    unknown
  >;
}

describe('controller election', () => {
  it('elects exactly one of three contenders, bumps the epoch, and hands over when the holder goes', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const brokers = await Promise.all([1, 2, 3].map((id) => c.broker(id)));
    const first = await c.oneActiveController();
    expect(first.controller!.epoch).toBe(1);
    expect(brokers.filter((b) => b.controller!.isActive)).toHaveLength(1);
    expect(await readControllerJson(c)).toMatchObject({ version: 1, brokerid: first.id });
    expect((await c.admin.readControllerEpoch()).value).toBe(1);
    const owner = await c.admin.session.exists(zkPaths.controller);
    expect(owner?.ephemeralOwner).toBe(first.session.sessionId);

    // The holder's session closes (a crash, as ZooKeeper sees it): a survivor takes over at once.
    const resigned = new Promise<void>((resolve) => first.controller!.once('resigned', () => resolve()));
    const crashedAt = Date.now();
    await first.crash();
    await resigned;
    const second = await c.oneActiveController();
    const takeoverMs = Date.now() - crashedAt;
    expect(second.id).not.toBe(first.id);
    expect(second.controller!.epoch).toBe(2);
    expect((await c.admin.readControllerEpoch()).value).toBe(2);
    expect(await readControllerJson(c)).toMatchObject({ brokerid: second.id });
    expect(takeoverMs).toBeLessThan(5_000);

    // A clean close resigns at once, and the last contender wins epoch 3.
    await second.controller!.close();
    const third = await c.oneActiveController();
    expect(third.id).not.toBe(second.id);
    expect(third.controller!.epoch).toBe(3);
    expect(second.controller!.isActive).toBe(false);
  });

  it('takes over within the session timeout when the controller session expires; the old one re-contends', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const stalled = await c.broker(1, { viaProxy: true, sessionTimeoutMs: 2_000 });
    expect(stalled.controller!.isActive).toBe(true);
    const others = [await c.broker(2), await c.broker(3)];
    expect(others.every((b) => !b.controller!.isActive)).toBe(true);
    const timeoutMs = stalled.session.negotiatedTimeoutMs;
    // Broker 1 also leads a partition: its loss costs a controller failover and a leader election.
    await stalled.controller!.createTopic('led-by-1', { assignment: [[1, 2, 3]] });
    await c.waitForAllStates('led-by-1', 1);

    const cutAt = Date.now();
    stalled.proxy!.cut();
    const successor = await waitFor(() => others.find((b) => b.controller!.isActive), {
      timeoutMs: timeoutMs + 5_000,
      what: 'a successor controller',
    });
    const takeoverMs = Date.now() - cutAt;
    await c.waitForState('led-by-1', 0, (s) => s.leader === 2, 'leader moved to 2');
    const failoverMs = Date.now() - cutAt;
    console.log(
      `controller: session timeout ${timeoutMs} ms; new controller after ${takeoverMs} ms, new leader after ${failoverMs} ms`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(timeoutMs + 1_500);
    expect(failoverMs).toBeLessThanOrEqual(timeoutMs + 1_500);
    expect(successor.controller!.epoch).toBe(2);

    // Back online, the old controller learns its session expired, resigns, renews the session,
    // re-registers and contends again — and loses to the live controller.
    const renewed = new Promise<void>((resolve) =>
      stalled.session.once('sessionEstablished', () => resolve()),
    );
    stalled.proxy!.restore();
    await renewed;
    expect(stalled.controller!.isActive).toBe(false);
    await waitFor(async () => (await c.admin.listBrokerIds()).includes(1), {
      what: 'broker 1 re-registered',
    });
    expect(await readControllerJson(c)).toMatchObject({ brokerid: successor.id });

    // And it can win later: the successor leaves, the others contend, one of them wins epoch 3.
    await successor.crash();
    const next = await c.oneActiveController();
    expect(next.controller!.epoch).toBe(3);
  });
  it('adopts a /controller its own session already holds (an election whose reply was lost)', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const b = await c.broker(1, { controller: false });
    // The multi committed (node created, epoch bumped) but the broker never learnt it.
    expect(await new ClusterState(b.session).electController(1)).toMatchObject({ elected: true, epoch: 1 });
    const controller = await startController({
      session: b.session,
      brokerId: 1,
      config: DEFAULT_SETTINGS,
    });
    try {
      expect(controller.isActive).toBe(true);
      expect(controller.epoch).toBe(1);
      expect((await c.admin.readControllerEpoch()).value).toBe(1);
      await controller.createTopic('adopted', { partitions: 1, replicationFactor: 1 });
      expect(await c.waitForState('adopted', 0, () => true, 'state written')).toMatchObject({
        leader: 1,
        controllerEpoch: 1,
      });
    } finally {
      await controller.close();
    }
  });
});

describe('fencing', () => {
  it("rejects a replaced controller's write with BADVERSION on the epoch check and leaves state alone", async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const a = await c.broker(1, { controller: false });
    const b = await c.broker(2, { controller: false });
    const aState = new ClusterState(a.session);
    const electionA = await aState.electController(1);
    if (!electionA.elected) throw new Error('broker 1 should win an uncontested election');
    const tp = { topic: 'fenced', partition: 0 };
    await aState.createTopic('fenced', [[1, 2]]);
    const writer = new ControllerState(aState);
    await writer.createPartitionState(
      tp,
      { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] },
      electionA.epochVersion,
    );

    // Broker 1 loses /controller (as after a long pause) and broker 2 is elected with epoch 2.
    await c.admin.session.delete(zkPaths.controller);
    const electionB = await new ClusterState(b.session).electController(2);
    expect(electionB).toMatchObject({ elected: true, epoch: 2 });
    const before = await c.stateWithVersion('fenced', 0);

    const stale = writer.updatePartitionState(
      tp,
      { leader: 2, leaderEpoch: 1, controllerEpoch: 1, isr: [2] },
      before!.version,
      electionA.epochVersion,
    );
    const error = await stale.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FencedOutError);
    const cause = (error as FencedOutError).cause;
    expect(cause).toBeInstanceOf(ZooKeeperMultiError);
    expect((cause as ZooKeeperMultiError).failedOpIndex).toBe(0);
    expect((cause as ZooKeeperMultiError).codeName).toBe('BADVERSION');
    expect(await c.stateWithVersion('fenced', 0)).toEqual(before);
    // Creating state and deleting topics are fenced the same way.
    await expect(
      writer.createPartitionState(
        { topic: 'fenced', partition: 1 },
        { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1] },
        electionA.epochVersion,
      ),
    ).rejects.toBeInstanceOf(FencedOutError);
    await expect(writer.deleteTopic('fenced', electionA.epochVersion)).rejects.toBeInstanceOf(FencedOutError);
    expect(await c.admin.readTopicAssignment('fenced')).not.toBeNull();
  });

  it('a controller cut off while another takes over resigns on return without overwriting the new decisions', async () => {
    cluster = await SimCluster.create(server.connectionString);
    const c = cluster;
    const old = await c.broker(1, { viaProxy: true, sessionTimeoutMs: 20_000 });
    expect(old.controller!.isActive).toBe(true);
    const b2 = await c.broker(2);
    const b3 = await c.broker(3);
    await old.controller!.createTopic('t', {
      assignment: [
        [2, 3, 1],
        [3, 2, 1],
      ],
    });
    await c.waitForAllStates('t', 2);

    // Cut broker 1 off (its session stays alive on the server), depose it, and let broker 3 die.
    old.proxy!.cut();
    await c.admin.session.delete(zkPaths.controller);
    const successor = await waitFor(() => [b2, b3].find((b) => b.controller!.isActive), {
      what: 'successor',
    });
    expect(successor.controller!.epoch).toBe(2);
    const loser = successor === b2 ? b3 : b2;
    await loser.crash();
    const survivor = successor.id;
    // The partition the dead broker led moves to the survivor (next live ISR member in assignment order).
    const moved = loser.id === 2 ? 0 : 1;
    const decided = await c.waitForState('t', moved, (s) => s.controllerEpoch === 2, 'leader moved');
    expect(decided).toMatchObject({ leader: survivor, leaderEpoch: 1, isr: [survivor, 1] });
    const p0 = await c.stateWithVersion('t', 0);
    const p1 = await c.stateWithVersion('t', 1);

    // Reconnected, broker 1 sees the missed events; whatever it tries is fenced, and it steps down.
    old.proxy!.restore();
    await waitFor(() => !old.controller!.isActive, { what: 'old controller resigned' });
    await waitFor(async () => (await c.admin.readControllerId()) === survivor, {
      what: 'successor still holds /controller',
    });
    expect(successor.controller!.isActive).toBe(true);
    expect(await c.stateWithVersion('t', 0)).toEqual(p0);
    expect(await c.stateWithVersion('t', 1)).toEqual(p1);
    expect((await c.admin.readControllerEpoch()).value).toBe(2);
  });
});
