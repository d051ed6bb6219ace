import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  recordsOf,
  sluice,
  startConsumer,
  startGroupCluster,
  valuesFor,
  type GroupCluster,
} from '../support/consumer-test-support.js';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * One group id, two kinds of group: a kcat -G member (broker coordinator) and a `sluice consume
 * --group` member (ZooKeeper group). Each used to take every partition, so each record was consumed
 * twice. Now whichever comes second is refused: kcat's JoinGroup gets INCONSISTENT_GROUP_PROTOCOL, the
 * ZooKeeper consumer exits naming the broker-coordinated group; `sluice groups describe` shows the kind.
 */
const TOPIC = 'clash';
const PARTITIONS = 2;
const PER_PARTITION = 50;

let cluster: GroupCluster;
let zk: string[];

beforeAll(async () => {
  cluster = await startGroupCluster();
  zk = ['--zookeeper', cluster.zookeeper];
  await cluster.createTopic(TOPIC, PARTITIONS);
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

const startKcat = (group: string): RunningProcess =>
  startProcess('kcat', [
    '-b',
    cluster.broker.bootstrap,
    '-G',
    group,
    '-u',
    '-f',
    '%p:%o\n',
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    'session.timeout.ms=6000',
    '-X',
    'heartbeat.interval.ms=300',
    TOPIC,
  ]);

const kcatRecords = (kcat: RunningProcess) =>
  kcat
    .stdout()
    .split('\n')
    .filter((l) => /^\d+:\d+$/.test(l));

async function produceRound(tag: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) await cluster.produce(TOPIC, p, valuesFor(tag, p, PER_PARTITION));
}

async function kindOf(group: string): Promise<string> {
  const described = await sluice(['groups', 'describe', group, ...zk, '--output', 'json']);
  return (JSON.parse(described.stdout) as { kind: string }).kind;
}

it('a kcat member is refused while a ZooKeeper consumer holds the group; nothing is consumed twice', async () => {
  const group = 'clash-zk-first';
  const zkMember = startConsumer(cluster.zookeeper, TOPIC, ['--group', group, '--from-beginning']);
  let kcat: RunningProcess | undefined;
  try {
    await zkMember.waitForOutput(/generation \d+ owns \[clash-0,clash-1\]/, 30_000);
    kcat = startKcat(group);
    // Refused, kcat reports the JoinGroup error and retries; before the fix it was assigned every
    // partition too (the ZooKeeper member keeps them all) and consumed each record a second time.
    const refusal = /JoinGroup failed: Broker: Inconsistent group protocol/;
    await kcat.waitForOutput(new RegExp(`${refusal.source}|rebalanced .*assigned: ${TOPIC}`), 30_000);
    await produceRound('a');
    await waitFor(() => recordsOf(zkMember).length >= PARTITIONS * PER_PARTITION, {
      timeoutMs: 30_000,
      what: 'the ZooKeeper member to consume the round',
    });
    await waitFor(() => refusal.test(kcat!.stderr()) || kcatRecords(kcat!).length > 0, {
      timeoutMs: 30_000,
      what: 'kcat to be refused (or to consume)',
    });
    expect(kcatRecords(kcat)).toEqual([]);
    expect(kcat.stderr()).toMatch(refusal);
    expect(recordsOf(zkMember)).toHaveLength(PARTITIONS * PER_PARTITION);
    expect(await kindOf(group)).toBe('zookeeper');
  } finally {
    await kcat?.kill('SIGTERM');
    await zkMember.kill('SIGTERM');
  }
}, 120_000);

it('a ZooKeeper consumer exits with a clear error while kcat holds the group, and joins once kcat left', async () => {
  const group = 'clash-kcat-first';
  const kcat = startKcat(group);
  try {
    await waitFor(async () => (await kindOf(group)) === 'broker-coordinated', {
      timeoutMs: 30_000,
      what: 'kcat to hold the group',
    });
    const refused = await sluice(['consume', TOPIC, ...zk, '--group', group, '--timeout-ms', '3000']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^sluice consume: group ${group} is in use by a broker-coordinated group`, 'm'),
    );
    const before = kcatRecords(kcat).length;
    await produceRound('b');
    await waitFor(() => kcatRecords(kcat).length >= before + PARTITIONS * PER_PARTITION, {
      timeoutMs: 30_000,
      what: 'kcat to consume the round',
    });
    expect(new Set(kcatRecords(kcat)).size).toBe(kcatRecords(kcat).length);
  } finally {
    await kcat.kill('SIGTERM');
  }
  // kcat left (LeaveGroup): the coordinator's marker is gone and a ZooKeeper consumer may take the id.
  const joined = await sluice([
    'consume',
    TOPIC,
    ...zk,
    '--group',
    group,
    '--timeout-ms',
    '3000',
    '--verbose',
  ]);
  expect(joined.stderr).toMatch(/joined group clash-kcat-first/);
  expect(joined.code).toBe(0);
}, 120_000);
