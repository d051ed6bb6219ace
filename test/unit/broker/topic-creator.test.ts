import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignReplicas, planTopic, TopicCreationError } from '../../../broker/topic-creator.js';

describe('replica assignment (Kafka rack-unaware algorithm)', () => {
  it('gives each partition distinct live replicas and spreads leaders evenly', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (brokers, partitions, rfWanted, seed) => {
          const rf = Math.min(rfWanted, brokers.length);
          const assignment = assignReplicas(brokers, partitions, rf, () => seed);
          expect(assignment).toHaveLength(partitions);
          const leaders = new Map<number, number>();
          for (const replicas of assignment) {
            expect(replicas).toHaveLength(rf);
            expect(new Set(replicas).size).toBe(rf);
            for (const id of replicas) expect(brokers).toContain(id);
            leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
          }
          const counts = [...leaders.values()];
          if (partitions >= brokers.length) expect(leaders.size).toBe(brokers.length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('matches Kafka for a fixed start: brokers 0-4, 10 partitions, rf 3, start index 0, shift 0', () => {
    const assignment = assignReplicas([0, 1, 2, 3, 4], 10, 3, () => 0);
    expect(assignment.slice(0, 6)).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
    ]);
  });

  it('refuses a replication factor above the live brokers (38), bad names (17), no partitions (37)', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof TopicCreationError ? error.code : -999;
      }
      return 0;
    };
    expect(code(() => planTopic({ name: 't', numPartitions: 1, replicationFactor: 3 }, [1, 2]))).toBe(38);
    expect(code(() => planTopic({ name: 'a b', numPartitions: 1, replicationFactor: 1 }, [1]))).toBe(17);
    expect(code(() => planTopic({ name: '..', numPartitions: 1, replicationFactor: 1 }, [1]))).toBe(17);
    expect(code(() => planTopic({ name: 't', numPartitions: 0, replicationFactor: 1 }, [1]))).toBe(37);
    expect(
      code(() =>
        planTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[1, 1]] }, [1]),
      ),
    ).toBe(39);
    expect(
      code(() => planTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [[7]] }, [1])),
    ).toBe(39);
    expect(planTopic({ name: 't', numPartitions: 2, replicationFactor: 1 }, [1])).toEqual([[1], [1]]);
  });
});
