import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../broker/log/partition-log.js';
import { IsrUpdater } from '../../broker/replica/isr-updater.js';
import { Partition, type PartitionLeadership } from '../../broker/replica/partition.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { componentLogger } from '../../log/logger.js';

/** The leader's ISR write against the embedded ZooKeeper: conditional on the znode version. */
describe('IsrUpdater', () => {
  let zk: EmbeddedZooKeeper;
  let session: ZooKeeperSession;
  let state: ClusterState;
  let dir: string;
  let log: PartitionLog;
  const tp = { topic: 'isr', partition: 0 };

  beforeAll(async () => {
    zk = await startZooKeeperServer({ port: 0 });
    session = await ZooKeeperSession.connect(zk.connectionString);
    state = new ClusterState(session);
    await state.ensureTopLevelPaths();
    dir = await mkdtemp(join(tmpdir(), 'sluice-isr-'));
    log = await PartitionLog.open({ dir: join(dir, 'isr-0') });
  });
  afterAll(async () => {
    await log?.close();
    await session?.close();
    await zk?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the new ISR with leader and epochs kept; on BADVERSION re-reads and applies the newer state', async () => {
    await state.createPartitionState(tp, { leader: 1, leaderEpoch: 4, controllerEpoch: 2, isr: [1, 2, 3] });
    const partition = new Partition(tp, log, 1, {
      leader: 1,
      leaderEpoch: 4,
      controllerEpoch: 2,
      replicas: [1, 2, 3],
      isr: [1, 2, 3],
      zkVersion: 0,
    });
    const applied: PartitionLeadership[] = [];
    const updater = new IsrUpdater(
      state,
      async (p, leadership) => {
        applied.push(leadership);
        p.updateLeadership(leadership);
      },
      componentLogger('test'),
    );

    await updater.propose(partition, [1, 2], 'lagging: 3');
    const written = await state.readPartitionState(tp);
    expect(written).toEqual({
      value: { leader: 1, leaderEpoch: 4, controllerEpoch: 2, isr: [1, 2] },
      version: 1,
    });
    expect(partition.state).toMatchObject({ isr: [1, 2], zkVersion: 1 });

    // The controller writes meanwhile (new leader, new epoch): our conditional write must lose.
    await state.updatePartitionState(tp, { leader: 2, leaderEpoch: 5, controllerEpoch: 2, isr: [2] }, 1);
    await updater.propose(partition, [1, 2, 3], 'caught up: 3');
    expect((await state.readPartitionState(tp))!.value).toEqual({
      leader: 2,
      leaderEpoch: 5,
      controllerEpoch: 2,
      isr: [2],
    });
    expect(applied.at(-1)).toMatchObject({ leader: 2, leaderEpoch: 5, isr: [2], zkVersion: 2 });
    expect(partition.isLeader).toBe(false);
    // A follower proposes nothing.
    await updater.propose(partition, [2, 1], 'not ours');
    expect((await state.readPartitionState(tp))!.version).toBe(2);
  });
});
