import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startKafkajsBroker, type KafkajsClient } from '../support/kafkajs-broker.js';
import { projectRoot, startProcess, type RunningProcess } from '../support/processes.js';
import { type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * Static membership (KIP-345) with librdkafka's consumer (confluent-kafka-python, group.instance.id):
 * three static members share a topic; one is killed and restarted with its instance id within the
 * session timeout and gets its old partitions back while the other two see no revocation (no
 * rebalance). A second process started with a live member's instance id fences the first
 * (FENCED_INSTANCE_ID, fatal in librdkafka).
 */
const TOPIC = 'static-members';
const PARTITIONS = 6;
const SCRIPT = join(projectRoot, 'test', 'compat', 'python', 'group-member.py');

let broker: SingleBroker;
let kafka: KafkajsClient;
const members: RunningProcess[] = [];

beforeAll(async () => {
  ({ broker, kafka } = await startKafkajsBroker({
    clientId: 'static-membership-test',
    topic: TOPIC,
    partitions: PARTITIONS,
    overrides: { 'group.initial.rebalance.delay.ms': '1500' },
  }));
}, 60_000);

afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => m.kill('SIGKILL').catch(() => undefined)));
});

afterAll(async () => {
  await broker?.close();
});

function startMember(group: string, instance: string): RunningProcess {
  const member = startProcess('/usr/bin/python3', [SCRIPT, broker.bootstrap, group, TOPIC, instance]);
  members.push(member);
  return member;
}

async function produceOnePerPartition(): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: TOPIC,
    messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: `v${partition}` })),
  });
  await producer.disconnect();
}

const events = (member: RunningProcess, kind: string): string[] =>
  member
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => l.slice(kind.length + 1));

/** The partitions of the member's latest assignment (eager protocol: each assign replaces all). */
const current = (member: RunningProcess): string | undefined => events(member, 'assign').at(-1);

async function stableTrio(group: string): Promise<RunningProcess[]> {
  const trio = ['s1', 's2', 's3'].map((id) => startMember(group, id));
  await waitFor(
    () => {
      const owned = trio.flatMap((m) => (current(m) ?? '').split(',').filter(Boolean));
      return (
        owned.length === PARTITIONS && new Set(owned).size === PARTITIONS && trio.every((m) => current(m))
      );
    },
    { timeoutMs: 30_000, what: 'three static members sharing every partition' },
  );
  return trio;
}

it('a static member restarted within the session timeout gets its partitions back without a rebalance', async () => {
  const [s1, s2, s3] = await stableTrio('static-restart');
  const before = [s2!, s3!].map((m) => ({
    assigns: events(m, 'assign').length,
    revokes: events(m, 'revoke').length,
  }));
  const s1Partitions = current(s1!);

  await s1!.kill('SIGKILL');
  const restarted = startMember('static-restart', 's1');
  await waitFor(() => current(restarted), { timeoutMs: 20_000, what: 'the restarted member’s assignment' });
  expect(current(restarted)).toBe(s1Partitions);
  // Eager rebalancing revokes before rejoining, and a rebalance completes only when every member has
  // rejoined: had the restart rebalanced the group, s2 and s3 would have revoked before the restarted
  // member got anything. Records produced now reach all three, so their output is past any such event.
  await produceOnePerPartition();
  await waitFor(() => [restarted, s2!, s3!].flatMap((m) => events(m, 'record')).length >= PARTITIONS, {
    timeoutMs: 20_000,
    what: 'one new record per partition consumed',
  });
  const after = [s2!, s3!].map((m) => ({
    assigns: events(m, 'assign').length,
    revokes: events(m, 'revoke').length,
  }));
  expect(after).toEqual(before);
  expect(events(restarted, 'error')).toEqual([]);
}, 90_000);

it('a second process with a live member’s instance id fences the first (82 FENCED_INSTANCE_ID)', async () => {
  const [s1] = await stableTrio('static-fence');
  const s1Partitions = current(s1!);
  const intruder = startMember('static-fence', 's1');
  await waitFor(() => current(intruder), { timeoutMs: 20_000, what: 'the second s1’s assignment' });
  expect(current(intruder)).toBe(s1Partitions);
  await waitFor(() => events(s1!, 'error').some((e) => e.includes('_FATAL')), {
    timeoutMs: 20_000,
    what: 'the first s1 to be fenced',
  });
  expect(s1!.stderr()).toMatch(/Fatal error: Broker: Static consumer fenced by other consumer/);
  expect(await s1!.exited).toBe(0);
  // The intruder keeps the instance: it is not fenced back.
  expect(events(intruder, 'error')).toEqual([]);
}, 90_000);

it('a static member that closes is noticed only at its session timeout (10 s), not at once', async () => {
  const [s1, s2, s3] = await stableTrio('static-close');
  await s3!.kill('SIGTERM');
  expect(s3!.stdout()).toContain('closed');
  const closedAt = Date.now();
  await waitFor(() => events(s1!, 'revoke').length > 0 && events(s2!, 'revoke').length > 0, {
    timeoutMs: 30_000,
    what: 'the others to rebalance after the session timeout',
  });
  expect(Date.now() - closedAt).toBeGreaterThan(8_000);
  await waitFor(() => current(s1!)!.split(',').length + current(s2!)!.split(',').length === PARTITIONS, {
    timeoutMs: 20_000,
    what: 's1 and s2 to share every partition',
  });
}, 90_000);
