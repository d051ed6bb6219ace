import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { ConsumerGroup } from '../../broker/group-coordinator/group.js';
import { PRODUCER_STATE_SNAPSHOT_FILE } from '../../broker/producer-state/producer-state-snapshot.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { waitFor } from '../support/wait.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

/**
 * broker.close() shuts down every service startBroker created: the producer state of each partition
 * is snapshotted before the logs close (a restart then replays no headers), and the group coordinator
 * stops its groups (their rebalance and session timers).
 */
let harness: BrokerHarness | undefined;
const clients: RawKafkaConnection[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) client.close();
  await harness?.stop();
  harness = undefined;
});

it('a clean shutdown snapshots producer state and stops the group timers', async () => {
  // A long initial rebalance delay keeps the joining member parked behind the group's rebalance timer.
  harness = await startBrokerHarness({ 'group.initial.rebalance.delay.ms': '60000' });
  const client = await RawKafkaConnection.open(harness.port);
  const observer = await RawKafkaConnection.open(harness.port);
  clients.push(client, observer);
  expect(await createTopic(client, 'orders')).toBe(0);

  const { errorCode, producerId, producerEpoch } = await client.request(22, 1, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
  });
  expect(errorCode).toBe(0);
  const records = encodeRecordBatchSync({
    records: [{ key: null, value: Buffer.from('once') }],
    producerId,
    producerEpoch,
    baseSequence: 0,
  });
  const produced = await client.request(0, 8, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }],
  });
  expect(produced.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });

  const joinRequest = {
    groupId: 'parked',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
  };
  const first = await client.request(11, 5, joinRequest);
  void client.request(11, 5, { ...joinRequest, memberId: first.memberId }).catch(() => undefined);
  await waitFor(
    async () => {
      const described = await observer.request(15, 0, { groups: ['parked'] });
      return described.groups[0]?.groupState === 'PreparingRebalance';
    },
    { what: 'the member to wait in a rebalance' },
  );

  const shutdowns = vi.spyOn(ConsumerGroup.prototype, 'shutdown');
  await harness.broker.close();

  // Written by close() itself: the snapshot timer (1 s after the append) has not fired yet.
  const snapshot = JSON.parse(
    await readFile(join(harness.dataDir, 'logs', 'orders-0', PRODUCER_STATE_SNAPSHOT_FILE), 'utf8'),
  ) as { nextOffset: string; producers: Array<{ producerId: string }> };
  expect(snapshot.nextOffset).toBe('1');
  expect(snapshot.producers.map((p) => p.producerId)).toEqual([String(producerId)]);

  // The parked group was shut down: its rebalance timer cleared, the group dead.
  expect(shutdowns).toHaveBeenCalledTimes(1);
  expect((shutdowns.mock.contexts[0] as ConsumerGroup).groupId).toBe('parked');
  expect((shutdowns.mock.contexts[0] as ConsumerGroup).state).toBe('Dead');
});
