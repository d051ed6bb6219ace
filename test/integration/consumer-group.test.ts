import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import {
  recordsOf,
  sluice,
  startConsumer,
  startGroupCluster,
  valuesFor,
  type GroupCluster,
} from '../support/consumer-test-support.js';

/**
 * A group of three `sluice consume` processes sharing a six-partition topic: exclusive ownership
 * (two partitions each), every record consumed exactly once when nobody fails, lag 0 afterwards, and a
 * restarted group continuing from its committed offsets.
 */

const TOPIC = 'orders';
const GROUP = 'billing';
const PARTITIONS = 6;
const PER_PARTITION = 10_000;

let cluster: GroupCluster;
const members: RunningProcess[] = [];

/** `sluice groups describe <GROUP> --output json`. */
const describeGroupAsJson = () =>
  sluice(['groups', 'describe', GROUP, '--zookeeper', cluster.zookeeper, '--output', 'json']);

beforeAll(async () => {
  cluster = await startGroupCluster();
  await cluster.createTopic(TOPIC, PARTITIONS);
}, 90_000);

afterAll(async () => {
  await Promise.all(members.map((m) => m.kill('SIGKILL')));
  await cluster?.close();
});

async function ownersByMember(): Promise<Map<string, number[]>> {
  const owners = new Map<string, number[]>();
  for (let p = 0; p < PARTITIONS; p++) {
    const owner = await cluster.state.readPartitionOwner(GROUP, { topic: TOPIC, partition: p });
    if (owner === null) continue;
    owners.set(owner, [...(owners.get(owner) ?? []), p]);
  }
  return owners;
}

function memberIdOf(process: RunningProcess): string {
  const match = /joined group \S+ as (\S+)/.exec(process.stderr());
  if (!match) throw new Error(`no join line in: ${process.stderr()}`);
  return match[1]!;
}

describe('a group of three sluice consume processes', () => {
  it('splits six partitions two by two and consumes 60,000 records exactly once', async () => {
    for (let i = 0; i < 3; i++)
      members.push(
        startConsumer(cluster.zookeeper, TOPIC, ['--group', GROUP, '--commit-interval-ms', '200']),
      );
    await Promise.all(members.map((m) => m.waitForOutput('joined group', 60_000)));
    const ids = members.map(memberIdOf);
    // Settled: every partition owned, two per member (range over 6 partitions and 3 members).
    const owners = await waitFor(
      async () => {
        const o = await ownersByMember();
        return ids.every((id) => o.get(id)?.length === 2) ? o : null;
      },
      { timeoutMs: 30_000, what: 'two partitions per member' },
    );
    expect([...owners.keys()].sort()).toEqual([...ids].sort());

    const produced = new Set<string>();
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, p) => {
        const values = valuesFor('a', p, PER_PARTITION);
        for (const v of values) produced.add(v);
        await cluster.produce(TOPIC, p, values);
      }),
    );
    expect(produced.size).toBe(PARTITIONS * PER_PARTITION);

    await waitFor(() => members.reduce((n, m) => n + recordsOf(m).length, 0) >= produced.size, {
      timeoutMs: 60_000,
      what: 'all 60,000 records consumed',
    });
    const seen = new Map<string, number>();
    members.forEach((member, i) => {
      const mine = owners.get(ids[i]!)!;
      for (const record of recordsOf(member)) {
        // A member only ever prints partitions it owns.
        expect(mine).toContain(record.partition);
        seen.set(record.value, (seen.get(record.value) ?? 0) + 1);
      }
    });
    expect(seen.size).toBe(produced.size);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const value of produced) expect(seen.has(value)).toBe(true);
    // Ownership did not move while records flowed.
    expect(await ownersByMember()).toEqual(owners);

    // A clean stop (SIGTERM, like Ctrl-C) commits: lag 0 everywhere.
    const codes = await Promise.all(members.map((m) => m.kill('SIGTERM')));
    expect(codes).toEqual([0, 0, 0]);
    const described = await describeGroupAsJson();
    expect(described.code).toBe(0);
    const description = JSON.parse(described.stdout) as {
      members: string[];
      partitions: Array<{
        partition: number;
        currentOffset: number;
        logEndOffset: number;
        lag: number;
        owner: null;
      }>;
    };
    expect(description.members).toEqual([]);
    expect(description.partitions).toHaveLength(PARTITIONS);
    for (const p of description.partitions) {
      expect(p).toMatchObject({
        currentOffset: PER_PARTITION,
        logEndOffset: PER_PARTITION,
        lag: 0,
        owner: null,
      });
    }
    const text = await sluice(['groups', 'describe', GROUP, '--zookeeper', cluster.zookeeper]);
    expect(text.stdout).toMatch(/TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+OWNER/);
    expect(text.stdout).toMatch(
      new RegExp(`${TOPIC}\\s+5\\s+${PER_PARTITION}\\s+${PER_PARTITION}\\s+0\\s+-`),
    );
  }, 180_000);

  it('resumes from the committed offsets after a restart', async () => {
    const more = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) {
      const values = valuesFor('b', p, 100);
      for (const v of values) more.add(v);
      await cluster.produce(TOPIC, p, values);
    }
    // --from-beginning only applies without committed offsets: the group has them.
    const restarted = startConsumer(cluster.zookeeper, TOPIC, ['--group', GROUP, '--from-beginning']);
    members.push(restarted);
    await waitFor(() => recordsOf(restarted).length >= more.size, {
      timeoutMs: 60_000,
      what: 'the 600 new records',
    });
    expect(await restarted.kill('SIGTERM')).toBe(0);
    const records = recordsOf(restarted);
    expect(records.map((r) => r.value).sort()).toEqual([...more].sort());
    expect(Math.min(...records.map((r) => r.offset))).toBe(PER_PARTITION);
    const described = await describeGroupAsJson();
    const lags = (JSON.parse(described.stdout) as { partitions: Array<{ lag: number }> }).partitions.map(
      (p) => p.lag,
    );
    expect(lags).toEqual(Array(PARTITIONS).fill(0));
  }, 120_000);
});
