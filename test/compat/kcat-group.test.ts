import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { startKafkajsBroker, type KafkajsClient } from '../support/kafkajs-broker.js';
import { type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * librdkafka's balanced consumer (kcat -G) against the broker's group coordinator: two members split
 * the partitions, commit, stop; restarted, they resume from the committed offsets.
 */
const TOPIC = 'kcat-group';
const GROUP = 'kcat-group-g';
const PARTITIONS = 4;
const PER_ROUND = 400;

let broker: SingleBroker;
let kafka: KafkajsClient;

beforeAll(async () => {
  ({ broker, kafka } = await startKafkajsBroker({
    clientId: 'kcat-group-test',
    topic: TOPIC,
    partitions: PARTITIONS,
    overrides: { 'group.initial.rebalance.delay.ms': '300' },
  }));
}, 60_000);

afterAll(async () => {
  await broker?.close();
});

const startMember = (): RunningProcess =>
  startProcess('kcat', [
    '-b',
    broker.bootstrap,
    '-G',
    GROUP,
    '-q',
    '-u',
    '-f',
    '%p:%o\n',
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    'auto.commit.interval.ms=200',
    '-X',
    'session.timeout.ms=6000',
    '-X',
    'heartbeat.interval.ms=300',
    TOPIC,
  ]);

const lines = (members: RunningProcess[]) =>
  members.map((m) =>
    m
      .stdout()
      .split('\n')
      .filter((l) => /^\d+:\d+$/.test(l)),
  );

async function produce(from: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: TOPIC,
    messages: Array.from({ length: PER_ROUND }, (_, i) => ({
      partition: (from + i) % PARTITIONS,
      value: `m${from + i}`,
    })),
  });
  await producer.disconnect();
}

async function stableWithTwo(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const g = (await admin.describeGroups([GROUP])).groups[0];
        return g?.state === 'Stable' && g.members.length === 2;
      },
      { timeoutMs: 60_000, what: 'two kcat members in a stable group' },
    );
  } finally {
    await admin.disconnect();
  }
}

it('two kcat -G members share the partitions and resume from committed offsets after a restart', async () => {
  let members = [startMember(), startMember()];
  try {
    await stableWithTwo();
    await produce(0);
    await waitFor(() => lines(members).flat().length >= PER_ROUND, { timeoutMs: 60_000, what: 'round 1' });
    const round1 = lines(members);
    expect(round1.flat()).toHaveLength(PER_ROUND);
    expect(new Set(round1.flat()).size).toBe(PER_ROUND);
    const partitionsOf = round1.map((l) => new Set(l.map((x) => x.split(':')[0])));
    // Both members got partitions, and no partition went to both.
    expect(partitionsOf.every((s) => s.size > 0)).toBe(true);
    expect(partitionsOf[0]!.size + partitionsOf[1]!.size).toBe(PARTITIONS);
    await waitFor(
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const fetched = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
          return fetched[0]!.partitions.every((p) => p.offset === String(PER_ROUND / PARTITIONS));
        } finally {
          await admin.disconnect();
        }
      },
      { timeoutMs: 30_000, what: 'round 1 committed' },
    );
  } finally {
    await Promise.all(members.map((m) => m.kill('SIGTERM')));
  }

  await produce(PER_ROUND);
  members = [startMember(), startMember()];
  try {
    await waitFor(() => lines(members).flat().length >= PER_ROUND, { timeoutMs: 60_000, what: 'round 2' });
    const round2 = lines(members).flat();
    expect(round2).toHaveLength(PER_ROUND);
    // Only the new records: every offset is at or beyond what round 1 committed.
    expect(round2.every((l) => Number(l.split(':')[1]) >= PER_ROUND / PARTITIONS)).toBe(true);
  } finally {
    await Promise.all(members.map((m) => m.kill('SIGTERM')));
  }
}, 180_000);
