import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import type { RawKafkaConnection } from '../support/broker-test-support.js';
import {
  consumeAll,
  createTopicOnReplicas,
  produceToPartitionZero,
  startReplicationCluster,
  waitForBrokersInMetadata,
  type ReplicationCluster,
} from '../support/replication-harness.js';

/**
 * A follower that is registered (so the controller counts it live and puts it in the ISR) but never
 * fetches: broker 9 is a registration the test writes itself, pointing at a closed port. Records the
 * leader holds but broker 9 does not are uncommitted: consumers must not see them, and acks=all must
 * wait — until the leader drops broker 9 from the ISR after replica.lag.time.max.ms with its own
 * conditional write (leader epoch unchanged).
 */
describe('ISR and the high watermark with a stalled follower', () => {
  let cluster: ReplicationCluster;
  let client: RawKafkaConnection;
  const topic = 'stalled';
  const LAG_MS = 1_500;

  beforeAll(async () => {
    cluster = await startReplicationCluster([1], { 'replica.lag.time.max.ms': String(LAG_MS) });
    const deadPort = await freePort();
    await cluster.state.registerBroker({
      id: 9,
      endpoints: [
        { listener: 'PLAINTEXT', host: '127.0.0.1', port: deadPort, securityProtocol: 'PLAINTEXT' },
      ],
    });
    client = await cluster.client(1);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const produce = (value: string, acks: number, timeoutMs = 10_000) =>
    produceToPartitionZero(client, topic, [value], acks, timeoutMs);

  it('uncommitted records stay invisible; the lagging follower is dropped; then 20 and 19', async () => {
    // Wait until the controller (broker 1) sees broker 9 live, then create [1, 9].
    await waitForBrokersInMetadata(client, 2, 'broker 9 visible');
    const createdAt = Date.now();
    await createTopicOnReplicas(client, topic, [1, 9], [{ name: 'min.insync.replicas', value: '2' }]);
    const initial = await waitFor(() => cluster.partitionState(topic, 0), { what: 'partition state' });
    expect(initial).toMatchObject({ leader: 1, isr: [1, 9] });

    expect((await produce('a', 1)).errorCode).toBe(0);
    const uncommitted = await consumeAll(client, topic, 0);
    expect(uncommitted).toEqual({ values: [], highWatermark: 0n, errorCode: 0 });

    // acks=all waits; the leader drops broker 9 after the lag time, the batch is then committed by
    // one replica only, below min.insync.replicas=2.
    const afterAppend = await produce('b', -1, 20_000);
    expect(afterAppend.errorCode).toBe(20);
    // Broker 9's lag window started when broker 1 began leading, after the create was sent.
    expect(Date.now() - createdAt).toBeGreaterThan(LAG_MS);
    const shrunk = (await cluster.partitionState(topic, 0))!;
    expect(shrunk.isr).toEqual([1]);
    expect(shrunk.leaderEpoch).toBe(initial.leaderEpoch);

    const committed = await consumeAll(client, topic, 0);
    expect(committed.values).toEqual(['a', 'b']);
    expect(committed.highWatermark).toBe(2n);
    expect((await produce('c', -1)).errorCode).toBe(19);
  });

  it('acks=all gives up with REQUEST_TIMED_OUT (7) when the ISR does not catch up in time', async () => {
    await createTopicOnReplicas(client, 'slow', [1, 9]);
    expect((await produceToPartitionZero(client, 'slow', ['x'], -1, 200)).errorCode).toBe(7);
  });
});
