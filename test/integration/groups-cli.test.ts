import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import {
  recordsOf,
  sluice,
  startConsumer,
  startGroupCluster,
  valuesFor,
  type GroupCluster,
  type JsonRecord,
} from '../support/consumer-test-support.js';

/**
 * `sluice groups list|describe|reset-offsets|delete`, each reset verified by what the group consumes
 * next; resets and deletion refused while the group has a live member; throwaway console groups.
 */

const TOPIC = 'events';
const GROUP = 'audit';

let cluster: GroupCluster;
let zk: string[];

beforeAll(async () => {
  cluster = await startGroupCluster();
  zk = ['--zookeeper', cluster.zookeeper];
  await cluster.createTopic(TOPIC, 2);
  await cluster.produce(TOPIC, 0, valuesFor('early', 0, 100));
  await cluster.produce(TOPIC, 1, valuesFor('early', 1, 100));
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

/** Runs a member of GROUP until it has printed nothing for a while; returns what it printed. */
async function consumeAvailable(extra: string[] = []): Promise<JsonRecord[]> {
  const result = await sluice([
    'consume',
    TOPIC,
    ...zk,
    '--group',
    GROUP,
    '--format',
    'json',
    '--timeout-ms',
    '2500',
    ...extra,
  ]);
  expect(result.code).toBe(0);
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonRecord);
}

function offsets(records: JsonRecord[]): string[] {
  return records.map((r) => `${r.partition}:${r.offset}`).sort();
}

function range(partition: number, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${partition}:${from + i}`);
}

async function reset(args: string[]) {
  return sluice(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, ...zk, ...args]);
}

describe('sluice groups', () => {
  it('lists and describes a group after a consume that stopped when idle', async () => {
    const first = await consumeAvailable(['--from-beginning']);
    expect(first).toHaveLength(200);
    const list = await sluice(['groups', 'list', ...zk]);
    expect(list.stdout.split('\n')).toContain(GROUP);
    const described = await sluice(['groups', 'describe', GROUP, ...zk, '--output', 'json']);
    const lags = (
      JSON.parse(described.stdout) as { partitions: Array<{ lag: number; currentOffset: number }> }
    ).partitions;
    expect(lags.map((p) => [p.currentOffset, p.lag])).toEqual([
      [100, 0],
      [100, 0],
    ]);
  }, 60_000);

  it('resets to earliest: a dry run writes nothing, --execute does, and the group re-reads everything', async () => {
    const dry = await reset(['--to-earliest', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`${TOPIC}\\s+0\\s+100\\s+0`));
    expect(await cluster.state.readOffset(GROUP, { topic: TOPIC, partition: 0 })).toBe(100n);
    const done = await reset(['--to-earliest', '--execute', '--output', 'json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ executed: true });
    expect(offsets(await consumeAvailable())).toEqual([...range(0, 0, 100), ...range(1, 0, 100)].sort());
  }, 60_000);

  it('resets to an offset and shifts by n (clamped to the log)', async () => {
    expect((await reset(['--to-offset', '90', '--execute'])).code).toBe(0);
    expect(offsets(await consumeAvailable())).toEqual([...range(0, 90, 100), ...range(1, 90, 100)].sort());
    expect((await reset(['--shift-by', '-5', '--execute'])).code).toBe(0);
    expect(offsets(await consumeAvailable())).toEqual([...range(0, 95, 100), ...range(1, 95, 100)].sort());
    const clamped = await reset(['--to-offset', '100000', '--dry-run', '--output', 'json']);
    expect(
      (JSON.parse(clamped.stdout) as { partitions: Array<{ newOffset: number }> }).partitions.map(
        (p) => p.newOffset,
      ),
    ).toEqual([100, 100]);
  }, 60_000);

  it('resets to a date-time: the group consumes exactly what was produced after it', async () => {
    const boundary = new Date(Date.now() + 5).toISOString();
    await waitFor(() => Date.now() > Date.parse(boundary) + 5, { what: 'the clock to pass the boundary' });
    await cluster.produce(TOPIC, 0, valuesFor('late', 0, 10));
    await cluster.produce(TOPIC, 1, valuesFor('late', 1, 10));
    expect((await reset(['--to-datetime', boundary, '--execute'])).code).toBe(0);
    const late = await consumeAvailable();
    expect(late.map((r) => r.value).sort()).toEqual(
      [...valuesFor('late', 0, 10), ...valuesFor('late', 1, 10)].sort(),
    );
    expect((await reset(['--to-latest', '--execute'])).code).toBe(0);
    expect(await consumeAvailable()).toEqual([]);
  }, 60_000);

  it('refuses resets and deletion while a member is live, deletes once it has left', async () => {
    const member = startConsumer(cluster.zookeeper, TOPIC, ['--group', GROUP]);
    try {
      await member.waitForOutput(/generation \d+ owns \[events-0,events-1\]/, 60_000);
      const refused = await reset(['--to-earliest', '--execute']);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(/^sluice groups reset-offsets: group audit has 1 live member/);
      expect(refused.stderr).not.toMatch(/^\s+at /m);
      const dryRefused = await reset(['--to-earliest']);
      expect(dryRefused.code).toBe(1);
      expect(await cluster.state.readOffset(GROUP, { topic: TOPIC, partition: 0 })).toBe(110n);
      const deleteRefused = await sluice(['groups', 'delete', GROUP, ...zk]);
      expect(deleteRefused.code).toBe(1);
      expect(deleteRefused.stderr).toMatch(/live member/);
      expect(recordsOf(member)).toEqual([]);
    } finally {
      expect(await member.kill('SIGTERM')).toBe(0);
    }
    const deleted = await sluice(['groups', 'delete', GROUP, ...zk]);
    expect(deleted.code).toBe(0);
    expect((await sluice(['groups', 'list', ...zk])).stdout.split('\n')).not.toContain(GROUP);
    const missing = await sluice(['groups', 'describe', GROUP, ...zk]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('sluice groups describe: group audit does not exist');
  }, 90_000);

  it('without --group uses a throwaway console-consumer group and deletes it on exit', async () => {
    const result = await sluice([
      'consume',
      TOPIC,
      ...zk,
      '--from-beginning',
      '--max-messages',
      '5',
      '--print-offset',
      '--print-key',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines)
      expect(line).toMatch(/^Partition:[01]\tOffset:\d+\tnull\t(early|late)-p[01]-\d+$/);
    expect(result.stderr).toMatch(/processed a total of 5 messages/);
    const groups = (await sluice(['groups', 'list', ...zk, '--output', 'json'])).stdout;
    expect((JSON.parse(groups) as string[]).filter((g) => g.startsWith('console-consumer-'))).toEqual([]);
  }, 60_000);
});
