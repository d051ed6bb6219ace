import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  partitionsOf,
  rangeAssignor,
  roundRobinAssignor,
  sameAssignment,
  type Assignor,
  type AssignorMember,
} from '../../../consumer/assignors.js';

const topicNames = ['alpha', 'beta', 'gamma'];

/** Members with random subscriptions (each at least one topic) and random partition counts. */
const groupArbitrary = fc.record({
  members: fc.uniqueArray(
    fc.record({
      consumerId: fc.stringMatching(/^[a-z0-9]{1,6}$/),
      topics: fc.subarray(topicNames, { minLength: 1 }),
    }),
    { minLength: 1, maxLength: 8, selector: (m) => m.consumerId },
  ),
  counts: fc.tuple(fc.nat(12), fc.nat(12), fc.nat(12)),
});

function countsOf(counts: [number, number, number]): Map<string, number> {
  return new Map(topicNames.map((t, i) => [t, counts[i]!]));
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = (seed * (i + 7)) % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe.each([
  ['range', rangeAssignor],
  ['roundrobin', roundRobinAssignor],
] as Array<[string, Assignor]>)('%s assignor', (_name, assign) => {
  it('gives every partition of a subscribed topic to exactly one subscriber', () => {
    fc.assert(
      fc.property(groupArbitrary, ({ members, counts }) => {
        const partitionCounts = countsOf(counts);
        const result = assign(members, partitionCounts);
        for (const topic of topicNames) {
          const subscribers = members.filter((m) => m.topics.includes(topic)).map((m) => m.consumerId);
          const count = partitionCounts.get(topic)!;
          if (subscribers.length === 0 || count === 0) {
            expect(result[topic]).toBeUndefined();
            continue;
          }
          const owners = result[topic]!;
          expect(
            Object.keys(owners)
              .map(Number)
              .sort((a, b) => a - b),
          ).toEqual([...Array(count).keys()]);
          for (const owner of Object.values(owners)) expect(subscribers).toContain(owner);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order members are listed in', () => {
    fc.assert(
      fc.property(groupArbitrary, fc.nat(1000), ({ members, counts }, seed) => {
        const partitionCounts = countsOf(counts);
        const a = assign(members, partitionCounts);
        const b = assign(shuffled(members, seed), partitionCounts);
        expect(sameAssignment(a, b)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('balances a single shared topic within one partition', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,5}$/), { minLength: 1, maxLength: 10 }),
        fc.nat(40),
        (ids, count) => {
          const members: AssignorMember[] = ids.map((consumerId) => ({ consumerId, topics: ['alpha'] }));
          const result = assign(members, new Map([['alpha', count]]));
          const sizes = ids.map((id) => partitionsOf(result, id).length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          expect(sizes.reduce((x, y) => x + y, 0)).toBe(count);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('known layouts (as Kafka assigns them)', () => {
  const three: AssignorMember[] = ['c1', 'c2', 'c3'].map((consumerId) => ({
    consumerId,
    topics: ['alpha', 'beta'],
  }));

  it('range: contiguous ranges per topic, the first members take the remainder', () => {
    const result = rangeAssignor(
      three,
      new Map([
        ['alpha', 7],
        ['beta', 2],
      ]),
    );
    expect(result.alpha).toEqual({ 0: 'c1', 1: 'c1', 2: 'c1', 3: 'c2', 4: 'c2', 5: 'c3', 6: 'c3' });
    expect(result.beta).toEqual({ 0: 'c1', 1: 'c2' });
  });

  it('roundrobin: interleaves across topics in (topic, partition) order', () => {
    const result = roundRobinAssignor(
      three,
      new Map([
        ['alpha', 4],
        ['beta', 2],
      ]),
    );
    expect(result.alpha).toEqual({ 0: 'c1', 1: 'c2', 2: 'c3', 3: 'c1' });
    expect(result.beta).toEqual({ 0: 'c2', 1: 'c3' });
  });

  it('roundrobin skips members not subscribed to a topic', () => {
    const result = roundRobinAssignor(
      [
        { consumerId: 'a', topics: ['alpha'] },
        { consumerId: 'b', topics: ['alpha', 'beta'] },
      ],
      new Map([
        ['alpha', 2],
        ['beta', 2],
      ]),
    );
    expect(result.beta).toEqual({ 0: 'b', 1: 'b' });
  });

  it('six partitions over three members: two each', () => {
    const result = rangeAssignor(three, new Map([['alpha', 6]]));
    for (const id of ['c1', 'c2', 'c3']) expect(partitionsOf(result, id)).toHaveLength(2);
  });
});
