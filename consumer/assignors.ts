import type { TopicPartition } from '../protocol/topic-partition.js';

/**
 * Partition assignors: pure functions from (members with their subscriptions, partition counts) to
 * topic → partition → owning member. Deterministic: the same inputs give the same output whatever the
 * order they are listed in, so a leader can be replaced without changing the outcome.
 */

export interface AssignorMember {
  consumerId: string;
  topics: readonly string[];
}

/** Topic → partition → owning consumer id (the shape published in /consumers/<g>/assignment). */
export type PartitionAssignment = Record<string, Record<number, string>>;

export type Assignor = (
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
) => PartitionAssignment;

export type AssignorName = 'range' | 'roundrobin';

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function subscribersByTopic(
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const member of members) {
    for (const topic of new Set(member.topics)) {
      if ((partitionCounts.get(topic) ?? 0) <= 0) continue;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), member.consumerId]);
    }
  }
  for (const ids of byTopic.values()) ids.sort(compareIds);
  return new Map([...byTopic].sort((a, b) => compareIds(a[0], b[0])));
}

/**
 * Kafka's range assignor: per topic, the sorted subscribers each take a contiguous range; the first
 * `partitions % subscribers` members take one extra.
 */
export const rangeAssignor: Assignor = (members, partitionCounts) => {
  const result: PartitionAssignment = {};
  for (const [topic, subscribers] of subscribersByTopic(members, partitionCounts)) {
    const count = partitionCounts.get(topic)!;
    const each = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    const owners: Record<number, string> = {};
    subscribers.forEach((consumerId, i) => {
      const start = each * i + Math.min(i, extra);
      const length = each + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) owners[p] = consumerId;
    });
    result[topic] = owners;
  }
  return result;
};

/**
 * Kafka's round-robin assignor: every topic-partition in (topic, partition) order goes to the next
 * sorted member, skipping members not subscribed to its topic.
 */
export const roundRobinAssignor: Assignor = (members, partitionCounts) => {
  const result: PartitionAssignment = {};
  const byTopic = subscribersByTopic(members, partitionCounts);
  const everyone = [...new Set(members.map((m) => m.consumerId))].sort(compareIds);
  const subscribed = new Map<string, Set<string>>([...byTopic].map(([t, ids]) => [t, new Set(ids)]));
  let next = 0;
  for (const [topic] of byTopic) {
    const owners: Record<number, string> = {};
    const count = partitionCounts.get(topic)!;
    for (let p = 0; p < count; p++) {
      // At least one member subscribes to this topic, so this loop ends within one turn.
      while (!subscribed.get(topic)!.has(everyone[next % everyone.length]!)) next++;
      owners[p] = everyone[next % everyone.length]!;
      next++;
    }
    result[topic] = owners;
  }
  return result;
};

export const ASSIGNORS: Record<AssignorName, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
};

/** The topic-partitions `consumerId` owns in an assignment, sorted. */
export function partitionsOf(assignment: PartitionAssignment, consumerId: string): TopicPartition[] {
  const owned: TopicPartition[] = [];
  for (const topic of Object.keys(assignment).sort(compareIds)) {
    for (const [partition, owner] of Object.entries(assignment[topic]!)) {
      if (owner === consumerId) owned.push({ topic, partition: Number(partition) });
    }
  }
  return owned.sort((a, b) => compareIds(a.topic, b.topic) || a.partition - b.partition);
}

/** Whether two assignments give every partition to the same member. */
export function sameAssignment(a: PartitionAssignment, b: PartitionAssignment): boolean {
  const flatten = (x: PartitionAssignment) =>
    Object.keys(x)
      .sort(compareIds)
      .flatMap((t) =>
        Object.entries(x[t]!)
          .sort((p, q) => Number(p[0]) - Number(q[0]))
          .map(([p, owner]) => `${t}/${p}=${owner}`),
      )
      .join(',');
  return flatten(a) === flatten(b);
}
