import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { projectRoot, runToEnd } from '../support/processes.js';
import { startKafkajsBroker, type KafkajsClient } from '../support/kafkajs-broker.js';
import { type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';
import { join } from 'node:path';

/**
 * kafkajs 2.2.4's Consumer against a real `sluice broker`: three members of one group share a
 * 6-partition topic through the broker's group coordinator and consume 60,000 records exactly once;
 * their commits land in /consumers/<g>/offsets, where `sluice groups describe` reads them.
 */

const TOPIC = 'kjs-group';
const GROUP = 'kjs-group-g';
const PARTITIONS = 6;
const RECORDS = 60_000;

let broker: SingleBroker;
let kafka: KafkajsClient;

beforeAll(async () => {
  ({ broker, kafka } = await startKafkajsBroker({
    clientId: 'kjs-group',
    topic: TOPIC,
    partitions: PARTITIONS,
    overrides: { 'group.initial.rebalance.delay.ms': '500' },
  }));
}, 60_000);

afterAll(async () => {
  await broker?.close();
});

const describeCli = () =>
  runToEnd(process.execPath, [
    '--import',
    'tsx',
    join(projectRoot, 'cli', 'main.ts'),
    'groups',
    'describe',
    GROUP,
    '--zookeeper',
    broker.zookeeper.connectionString,
    '--output',
    'json',
  ]);

it('three kafkajs members consume 60,000 records exactly once and commit to ZooKeeper', async () => {
  const seen = new Map<string, number>();
  const byMember: Array<Set<number>> = [];
  const consumers = [0, 1, 2].map((i) => {
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    const mine = new Set<number>();
    byMember.push(mine);
    void i;
    return { consumer, mine };
  });
  for (const { consumer, mine } of consumers) {
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = `${partition}:${message.offset}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        mine.add(partition);
      },
    });
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([GROUP]);
        const g = groups[0];
        return g && g.state === 'Stable' && g.members.length === 3 ? g : null;
      },
      { timeoutMs: 60_000, what: 'a stable group of 3' },
    );
    expect(described.protocol).toBe('RoundRobinAssigner');
    expect(described.members.every((m) => m.clientId === 'kjs-group')).toBe(true);

    // `sluice groups describe` shows the coordinator's members and their client ids.
    const live = JSON.parse((await describeCli()).stdout) as {
      coordinator: { state: string; members: Array<{ clientId: string }> } | null;
    };
    expect(live.coordinator?.state).toBe('Stable');
    expect(live.coordinator?.members.map((m) => m.clientId)).toEqual(['kjs-group', 'kjs-group', 'kjs-group']);

    // …and refuses to delete the group while they are live.
    const refused = await runToEnd(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'cli', 'main.ts'),
        'groups',
        'delete',
        GROUP,
        '--zookeeper',
        broker.zookeeper.connectionString,
      ],
      { allowFailure: true },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/3 live member\(s\) on coordinator broker 1/);

    const producer = kafka.producer();
    await producer.connect();
    for (let batch = 0; batch < RECORDS / 1000; batch++) {
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: 1000 }, (_, j) => ({
          partition: (batch * 1000 + j) % PARTITIONS,
          value: `r${batch * 1000 + j}`,
        })),
      });
    }
    await producer.disconnect();

    await waitFor(() => seen.size >= RECORDS, { timeoutMs: 120_000, what: `${RECORDS} records consumed` });
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    expect(seen.size).toBe(RECORDS);
    expect(duplicates).toBe(0);
    // Every partition went to exactly one member, and every member had work.
    const owners = Array.from({ length: PARTITIONS }, (_, p) => byMember.filter((s) => s.has(p)).length);
    expect(owners).toEqual([1, 1, 1, 1, 1, 1]);
    expect(byMember.every((s) => s.size === 2)).toBe(true);
  } finally {
    for (const { consumer } of consumers) await consumer.disconnect();
  }

  // kafkajs commits on disconnect at the latest: every partition's next offset is 10,000.
  const session = await ZooKeeperSession.connect(broker.zookeeper.connectionString);
  try {
    const offsets = await new ClusterState(session).readGroupOffsets(GROUP);
    const committed = [...(offsets.get(TOPIC) ?? new Map<number, bigint>()).entries()].sort(
      (a, b) => a[0] - b[0],
    );
    expect(committed).toEqual(Array.from({ length: PARTITIONS }, (_, p) => [p, 10_000n]));
  } finally {
    await session.close();
  }
  const { groups } = await admin.describeGroups([GROUP]);
  expect(groups[0]?.state).toBe('Empty');
  const fetched = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  expect(fetched[0]?.partitions.map((p) => p.offset)).toEqual(Array(PARTITIONS).fill('10000'));
  await admin.disconnect();

  const describe = await describeCli();
  const json = JSON.parse(describe.stdout) as { partitions: Array<{ currentOffset: unknown; lag: unknown }> };
  expect(json.partitions).toHaveLength(PARTITIONS);
  expect(json.partitions.every((p) => Number(p.currentOffset) === 10_000 && Number(p.lag) === 0)).toBe(true);
}, 240_000);
