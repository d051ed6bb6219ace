import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/processes.js';
import { runToEnd } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import {
  ownershipEvents,
  recordsOf,
  startConsumer,
  startGroupCluster,
  type GroupCluster,
} from '../support/consumer-test-support.js';

/**
 * Rebalance under churn: members join, leave cleanly and are SIGKILLed while records flow. Afterwards
 * every produced record was consumed at least once, and at no instant did two members hold (or deliver
 * from) one partition — checked against each member's own ownership/delivery log (epoch ms, printed by
 * `--verbose`) and against owner nodes sampled from ZooKeeper every few milliseconds.
 */

const TOPIC = 'churn';
const GROUP = 'churners';
const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 3_000;
const RECORDS_PER_ROUND = 100;

interface Member {
  name: string;
  process: RunningProcess;
  /** When it was SIGKILLed / SIGTERMed (ms), if it was. */
  killedAt?: number;
  /**
   * When the test saw the SIGKILLed process gone: the end of what it held. Not killedAt: the test
   * worker may be descheduled between reading the clock and sending the signal (under load, for many
   * ms), and the member goes on delivering meanwhile.
   */
  diedAt?: number;
  stoppedAt?: number;
  id?: string;
}

interface OwnerSample {
  from: number;
  to: number;
  owners: Array<string | null>;
}

let cluster: GroupCluster;
const members: Member[] = [];

beforeAll(async () => {
  cluster = await startGroupCluster();
  await cluster.createTopic(TOPIC, PARTITIONS);
}, 90_000);

afterAll(async () => {
  await Promise.all(members.map((m) => m.process.kill('SIGKILL')));
  await cluster?.close();
});

function live(): Member[] {
  return members.filter((m) => m.killedAt === undefined && m.stoppedAt === undefined);
}

async function startMember(name: string): Promise<{ member: Member; joinedAt: number }> {
  const process = startConsumer(cluster.zookeeper, TOPIC, [
    '--group',
    GROUP,
    '--from-beginning',
    '--session-timeout-ms',
    String(SESSION_TIMEOUT_MS),
    '--commit-interval-ms',
    '100',
  ]);
  const member: Member = { name, process };
  members.push(member);
  await process.waitForOutput('joined group', 60_000);
  const joined = ownershipEvents(process).find((e) => e.kind === 'joined')!;
  member.id = /as (\S+)/.exec(joined.line)![1];
  return { member, joinedAt: joined.at };
}

async function sampleOwners(): Promise<OwnerSample> {
  const from = Date.now();
  const owners = await Promise.all(
    Array.from({ length: PARTITIONS }, (_, partition) =>
      cluster.state.readPartitionOwner(GROUP, { topic: TOPIC, partition }),
    ),
  );
  return { from, to: Date.now(), owners };
}

/** Settled: every partition owned by a live member, and every live member owns something. */
function settled(sample: OwnerSample): boolean {
  const liveIds = new Set(live().map((m) => m.id));
  if (!sample.owners.every((o) => o !== null && liveIds.has(o))) return false;
  return [...liveIds].every((id) => sample.owners.includes(id!));
}

describe('rebalance under churn', () => {
  it('consumes every record at least once and never lets two members hold one partition', async () => {
    const samples: OwnerSample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await sampleOwners());
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const produced = new Set<string>();
    let producing = true;
    let round = 0;
    const producer = (async () => {
      while (producing) {
        const lines: string[] = [];
        for (let i = 0; i < RECORDS_PER_ROUND; i++) {
          const value = `r${round}-${i}`;
          produced.add(value);
          lines.push(`k${round}-${i}:${value}`);
        }
        round++;
        await runToEnd(
          'kcat',
          ['-P', '-b', cluster.broker.bootstrap, '-t', TOPIC, '-K', ':', '-X', 'acks=all'],
          {
            input: lines.join('\n') + '\n',
          },
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const durations: Array<{ action: string; ms: number }> = [];
    try {
      const awaitSettled = async (action: string, since: number, timeoutMs: number) => {
        await waitFor(
          () => samples.length > 0 && samples[samples.length - 1]!.from > since && settled(samples.at(-1)!),
          {
            timeoutMs,
            what: `the group to settle after: ${action}`,
          },
        );
        durations.push({ action, ms: samples.at(-1)!.to - since });
      };
      const join = async (name: string) => {
        const { joinedAt } = await startMember(name);
        await awaitSettled(`${name} joins`, joinedAt, 30_000);
      };
      const kill = async (member: Member) => {
        member.killedAt = Date.now();
        await member.process.kill('SIGKILL');
        member.diedAt = Date.now();
        await awaitSettled(`${member.name} SIGKILLed`, member.killedAt, SESSION_TIMEOUT_MS * 3 + 10_000);
      };
      const stop = async (member: Member) => {
        const at = Date.now();
        member.stoppedAt = at;
        expect(await member.process.kill('SIGTERM')).toBe(0);
        await awaitSettled(`${member.name} leaves cleanly`, at, 30_000);
      };

      await join('A');
      await join('B');
      await join('C');
      await join('D');
      await kill(members.find((m) => m.name === 'B')!);
      await join('E');
      await stop(members.find((m) => m.name === 'C')!);
      await kill(members.find((m) => m.name === 'A')!);
      // Two changes at once: a death and a join overlapping the rebalance they cause.
      const dying = members.find((m) => m.name === 'D')!;
      dying.killedAt = Date.now();
      await Promise.all([
        dying.process.kill('SIGKILL').then(() => (dying.diedAt = Date.now())),
        startMember('F'),
      ]);
      await awaitSettled('D SIGKILLed while F joins', dying.killedAt, SESSION_TIMEOUT_MS * 3 + 10_000);
      await join('G');
      producing = false;
      await producer;
      // Every produced record reaches some member (at least once). Output is parsed incrementally:
      // re-parsing every member's whole stdout on each poll would starve the in-process coordinator.
      const consumed = new Set<string>();
      const parsedChars = new Map<Member, number>();
      const missing = new Set(produced);
      await waitFor(
        () => {
          for (const member of members) {
            const out = member.process.stdout();
            const from = parsedChars.get(member) ?? 0;
            const end = out.lastIndexOf('\n') + 1;
            if (end <= from) continue;
            for (const line of out.slice(from, end).split('\n')) {
              if (!line.startsWith('{')) continue;
              const value = (JSON.parse(line) as { value: string }).value;
              consumed.add(value);
              missing.delete(value);
            }
            parsedChars.set(member, end);
          }
          return missing.size === 0;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `all ${produced.size} records consumed` },
      );
    } finally {
      // Whatever failed above, the background loops end with the test.
      producing = false;
      sampling = false;
      await Promise.all([producer, sampler]);
    }
    for (const member of live()) {
      member.stoppedAt = Date.now();
      expect(await member.process.kill('SIGTERM')).toBe(0);
    }

    // ---- exclusivity, from each member's own log ----
    interface Interval {
      member: string;
      partition: string;
      start: number;
      end: number;
    }
    const intervals: Interval[] = [];
    let deliveries = 0;
    for (const member of members) {
      const open = new Map<string, number>();
      const events = ownershipEvents(member.process);
      const ownIntervals: Interval[] = [];
      for (const event of events) {
        if (event.kind === 'assigned') for (const p of event.partitions) open.set(p, event.at);
        if (event.kind === 'revoked' || event.kind === 'lost') {
          for (const p of event.partitions) {
            expect(open.has(p)).toBe(true);
            ownIntervals.push({ member: member.name, partition: p, start: open.get(p)!, end: event.at });
            open.delete(p);
          }
        }
      }
      // A SIGKILLed member printed no revocation: it held its partitions until it died.
      if (member.diedAt === undefined) expect(open.size).toBe(0);
      for (const [p, start] of open)
        ownIntervals.push({ member: member.name, partition: p, start, end: member.diedAt! });
      for (const event of events.filter((e) => e.kind === 'delivered')) {
        deliveries++;
        const [p] = event.partitions;
        const inside = ownIntervals.some(
          (i) => i.partition === p && i.start <= event.at && event.at <= i.end,
        );
        expect(inside, `${member.name} delivered ${p} at ${event.at} without holding it`).toBe(true);
      }
      intervals.push(...ownIntervals);
    }
    let overlaps = 0;
    for (const a of intervals)
      for (const b of intervals)
        if (a.member < b.member && a.partition === b.partition && a.start < b.end && b.start < a.end) {
          overlaps++;
          console.error(
            `overlap on ${a.partition}: ${a.member} [${a.start},${a.end}] ${b.member} [${b.start},${b.end}]`,
          );
        }
    expect(overlaps).toBe(0);

    // ---- and from the owner nodes: while a member held a partition, ZooKeeper named it the owner ----
    const idToName = new Map(members.map((m) => [m.id!, m.name]));
    let contradictions = 0;
    for (const sample of samples) {
      sample.owners.forEach((owner, partition) => {
        if (owner === null) return;
        const holder = idToName.get(owner);
        const p = `${TOPIC}-${partition}`;
        const other = intervals.find(
          (i) => i.partition === p && i.member !== holder && i.start < sample.from && sample.to < i.end,
        );
        if (other) contradictions++;
      });
    }
    expect(contradictions).toBe(0);

    const values = members.flatMap((m) => recordsOf(m.process).map((r) => r.value));
    const duplicates = values.length - new Set(values).size;
    const report = {
      members: members.length,
      produced: produced.size,
      delivered: values.length,
      duplicates,
      ownerSamples: samples.length,
      ownershipIntervals: intervals.length,
      deliveryEvents: deliveries,
      rebalanceMs: durations,
    };
    console.log(`consumer churn: ${JSON.stringify(report)}`);
    expect(samples.length).toBeGreaterThan(100);
    expect(intervals.length).toBeGreaterThan(PARTITIONS * 4);
  }, 300_000);
});
