import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { RawKafkaConnection } from '../support/broker-test-support.js';
import {
  createTopicOnReplicas,
  produceToPartitionZero,
  startReplicationCluster,
  type ReplicationCluster,
} from '../support/replication-harness.js';

/**
 * OffsetForLeaderEpoch (23) v0–3 on the wire: answered by the leader from its leader-epoch cache,
 * refused by a follower (6), fenced by current_leader_epoch (74/75), unknown topics (3).
 */
describe('OffsetForLeaderEpoch', () => {
  let cluster: ReplicationCluster;
  let leader: RawKafkaConnection;
  let follower: RawKafkaConnection;
  let epoch: number;
  const topic = 'epochs';

  beforeAll(async () => {
    cluster = await startReplicationCluster([1, 2]);
    const client = await cluster.client(1);
    await createTopicOnReplicas(client, topic, [1, 2]);
    const state = await waitFor(
      async () => {
        const s = await cluster.partitionState(topic, 0);
        return s && s.isr.length === 2 ? s : null;
      },
      { what: 'ISR of two' },
    );
    epoch = state.leaderEpoch;
    leader = await cluster.client(state.leader);
    follower = await cluster.client(state.leader === 1 ? 2 : 1);
    expect((await produceToPartitionZero(leader, topic, ['x', 'y', 'z'], -1)).errorCode).toBe(0);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const ask = (
    client: RawKafkaConnection,
    version: number,
    leaderEpoch: number,
    currentLeaderEpoch = -1,
    name = topic,
  ) =>
    client
      .request(23, version, {
        replicaId: -2,
        topics: [{ topic: name, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
      })
      .then((r) => r.topics[0]!.partitions[0]!);

  it('the leader answers the end of the current epoch with its log end, at every version', async () => {
    for (const version of [0, 1, 2, 3]) {
      const answer = await ask(leader, version, epoch);
      expect(answer.errorCode).toBe(0);
      expect(answer.endOffset).toBe(3n);
      if (version >= 1) expect(answer.leaderEpoch).toBe(epoch);
    }
  });

  it('an epoch newer than any known is undefined (-1, -1)', async () => {
    expect(await ask(leader, 3, epoch + 5)).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
  });

  it('a follower refuses with 6; current_leader_epoch fences with 74/75; an unknown topic is 3', async () => {
    expect((await ask(follower, 3, epoch)).errorCode).toBe(6);
    expect((await ask(leader, 3, epoch, epoch + 1)).errorCode).toBe(75);
    expect((await ask(leader, 3, epoch, -1, 'no-such-topic')).errorCode).toBe(3);

    // The follower leaves: the controller drops it from the ISR and bumps the epoch.
    const state = (await cluster.partitionState(topic, 0))!;
    await cluster.stop(state.leader === 1 ? 2 : 1);
    const bumped = await waitFor(
      async () => {
        const s = await cluster.partitionState(topic, 0);
        return s && s.leaderEpoch > epoch ? s : null;
      },
      { what: 'a new leader epoch' },
    );
    await waitFor(
      async () => (await ask(leader, 3, bumped.leaderEpoch, bumped.leaderEpoch)).errorCode === 0,
      {
        what: 'the leader in the new epoch',
      },
    );
    expect((await ask(leader, 3, epoch, epoch)).errorCode).toBe(74);
    // The old epoch now ends where the new one starts: the log end when the epoch changed.
    expect(await ask(leader, 3, epoch, bumped.leaderEpoch)).toMatchObject({
      errorCode: 0,
      leaderEpoch: epoch,
      endOffset: 3n,
    });
  });
});
