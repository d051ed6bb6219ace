import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../broker/log/partition-log.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest } from '../support/fetch-partition.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import {
  consumeAll,
  createTopicOnReplicas,
  produceToPartitionZero,
  replicaBytes,
  startReplicationCluster,
  waitForBrokersInMetadata,
  valuesIn,
  waitForIdenticalReplicas,
  type ReplicationCluster,
} from '../support/replication-harness.js';

const batch = (...values: string[]) =>
  encodeRecordBatchSync({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });

const produce = produceToPartitionZero;

describe('follower truncation by leader epoch and the high watermark checkpoint', () => {
  let cluster: ReplicationCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('an old leader holding records the new leader never got truncates them by epoch and ends byte-identical', async () => {
    cluster = await startReplicationCluster([1, 2, 3]);
    const topic = 'diverge';
    await createTopicOnReplicas(await cluster.client(1), topic, [1, 2, 3]);
    const initial = await waitFor(
      async () => {
        const s = await cluster!.partitionState(topic, 0);
        return s && s.isr.length === 3 ? s : null;
      },
      { what: 'ISR of three' },
    );
    expect(initial.leader).toBe(1);
    expect((await produce(await cluster.client(1), topic, ['c0', 'c1', 'c2'], -1)).errorCode).toBe(0);
    await waitForIdenticalReplicas(cluster, [1, 2, 3], topic, 0);

    // Broker 1 stops; the controller moves leadership on and bumps the epoch.
    await cluster.stop(1);
    const moved = await waitFor(
      async () => {
        const s = await cluster!.partitionState(topic, 0);
        return s && s.leader !== 1 && s.leader > 0 ? s : null;
      },
      { what: 'a new leader' },
    );
    expect(moved.leaderEpoch).toBeGreaterThan(initial.leaderEpoch);

    // What the old leader had appended in its epoch but never replicated before it died: written into
    // its log directly, stamped with its epoch, as its own append would have.
    const stale = await PartitionLog.open({ dir: join(cluster.logDir(1), `${topic}-0`) });
    await stale.append(batch('lost-1', 'lost-2'), { leaderEpoch: initial.leaderEpoch });
    expect(stale.logEndOffset).toBe(5n);
    await stale.close();

    // The new leader takes records in the new epoch at the same offsets.
    const newLeader = await cluster.client(moved.leader);
    expect((await produce(newLeader, topic, ['n3', 'n4', 'n5', 'n6'], -1)).errorCode).toBe(0);

    await cluster.start(1);
    await waitFor(async () => (await cluster!.partitionState(topic, 0))!.isr.length === 3, {
      timeoutMs: 20_000,
      what: 'broker 1 back in the ISR',
    });
    const bytes = await waitForIdenticalReplicas(cluster, [1, 2, 3], topic, 0);
    expect(valuesIn(bytes)).toEqual(['c0', 'c1', 'c2', 'n3', 'n4', 'n5', 'n6']);
    expect(valuesIn(await replicaBytes(cluster.logDir(1), topic, 0))).not.toContain('lost-1');
  });

  it('a restarted leader starts from its checkpointed high watermark: uncommitted records stay hidden', async () => {
    // No controlled shutdown: it would hand leadership to broker 9, which is only a registration.
    cluster = await startReplicationCluster([1], {
      'replica.lag.time.max.ms': '60000',
      'controlled.shutdown.enable': 'false',
    });
    // Broker 9 is a registration only; the test itself fetches as replica 9 to commit records.
    await cluster.state.registerBroker({
      id: 9,
      endpoints: [
        { listener: 'PLAINTEXT', host: '127.0.0.1', port: await freePort(), securityProtocol: 'PLAINTEXT' },
      ],
    });
    const topic = 'checkpointed';
    let client = await cluster.client(1);
    await waitForBrokersInMetadata(client, 2, 'broker 9 visible');
    await createTopicOnReplicas(client, topic, [1, 9]);
    await waitFor(() => cluster!.partitionState(topic, 0), { what: 'partition state' });
    expect((await produce(client, topic, ['a', 'b'], 1)).errorCode).toBe(0);
    const followerFetch = await client.request(
      1,
      11,
      fetchRequest(topic, 2n, {
        replicaId: 9,
        maxBytes: 1 << 20,
        partitionMaxBytes: 1 << 20,
        logStartOffset: 0n,
      }),
    );
    expect(followerFetch.responses[0]!.partitions[0]!.highWatermark).toBe(2n);
    expect((await produce(client, topic, ['c'], 1)).errorCode).toBe(0);
    expect(await consumeAll(client, topic, 0)).toEqual({
      values: ['a', 'b'],
      highWatermark: 2n,
      errorCode: 0,
    });

    await cluster.stop(1);
    await cluster.start(1);
    client = await cluster.client(1);
    const after = await waitFor(
      async () => {
        const read = await consumeAll(client, topic, 0);
        return read.errorCode === 0 ? read : null;
      },
      { what: 'broker 1 leading again' },
    );
    expect(after).toEqual({ values: ['a', 'b'], highWatermark: 2n, errorCode: 0 });
    expect((await cluster.partitionState(topic, 0))!.isr).toEqual([1, 9]);
  });
});
