import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignReplicasToBrokers } from '../../../../broker/controller/replica-assignment.js';
import { MAX_PARTITIONS_PER_TOPIC, planTopicAssignment } from '../../../../broker/controller/topic-plan.js';
import { ControllerRequestError } from '../../../../broker/controller/controller-errors.js';
import {
  decodeControlledShutdownRequest,
  encodeControlledShutdownRequest,
} from '../../../../coordinator/controller-state.js';
import { thrownCode } from '../../../support/thrown-code.js';

const defaults = { numPartitions: 3, defaultReplicationFactor: 2 };

const codeOf = (f: () => unknown) => thrownCode(f, ControllerRequestError);

describe('planTopicAssignment', () => {
  it('uses the broker defaults for absent or -1 partitions and replication factor', () => {
    const plan = planTopicAssignment('t', { partitions: -1 }, [1, 2, 3], defaults, { startIndex: 0 });
    expect(plan).toHaveLength(3);
    expect(plan.every((r) => r.length === 2)).toBe(true);
  });
  it('accepts a valid manual assignment as given', () => {
    expect(
      planTopicAssignment(
        't',
        {
          assignment: [
            [2, 1],
            [1, 3],
          ],
        },
        [1, 2, 3],
        defaults,
      ),
    ).toEqual([
      [2, 1],
      [1, 3],
    ]);
  });
  it('refuses bad names, bad manual assignments and impossible replication factors', () => {
    expect(codeOf(() => planTopicAssignment('a/b', {}, [1], defaults))).toBe(17);
    expect(codeOf(() => planTopicAssignment('t', { assignment: [[1, 1]] }, [1, 2], defaults))).toBe(39);
    expect(codeOf(() => planTopicAssignment('t', { assignment: [[1, 9]] }, [1, 2], defaults))).toBe(39);
    expect(codeOf(() => planTopicAssignment('t', { assignment: [[1, 2], [1]] }, [1, 2], defaults))).toBe(39);
    expect(codeOf(() => planTopicAssignment('t', { replicationFactor: 4 }, [1, 2, 3], defaults))).toBe(38);
    expect(codeOf(() => planTopicAssignment('t', { partitions: 0 }, [1, 2, 3], defaults))).toBe(37);
  });
  it('refuses what CreateTopics refuses, with the same codes (38, 17, 37, 39)', () => {
    const plan = (name: string, options: Parameters<typeof planTopicAssignment>[1], live: number[]) =>
      codeOf(() => planTopicAssignment(name, options, live, defaults));
    expect(plan('t', { partitions: 1, replicationFactor: 3 }, [1, 2])).toBe(38);
    expect(plan('t', { partitions: 1, replicationFactor: 1 }, [])).toBe(38);
    expect(plan('a b', { partitions: 1, replicationFactor: 1 }, [1])).toBe(17);
    expect(plan('..', { partitions: 1, replicationFactor: 1 }, [1])).toBe(17);
    expect(plan('t', { partitions: 0, replicationFactor: 1 }, [1])).toBe(37);
    expect(plan('t', { partitions: -1, replicationFactor: -1, assignment: [[1, 1]] }, [1])).toBe(39);
    expect(plan('t', { partitions: -1, replicationFactor: -1, assignment: [[7]] }, [1])).toBe(39);
    expect(planTopicAssignment('t', { partitions: 2, replicationFactor: 1 }, [1], defaults)).toEqual([
      [1],
      [1],
    ]);
  });
  it('caps partitions per topic (the assignment must fit one znode), counted or manual (37)', () => {
    const over = MAX_PARTITIONS_PER_TOPIC + 1;
    expect(codeOf(() => planTopicAssignment('t', { partitions: over }, [1], defaults))).toBe(37);
    const manual = Array.from({ length: over }, () => [1]);
    expect(codeOf(() => planTopicAssignment('t', { assignment: manual }, [1], defaults))).toBe(37);
    expect(
      planTopicAssignment('t', { partitions: MAX_PARTITIONS_PER_TOPIC, replicationFactor: 1 }, [1], defaults),
    ).toHaveLength(MAX_PARTITIONS_PER_TOPIC);
  });
  it('assigns with the controller algorithm: distinct live replicas, leaders spread within ±1', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (brokers, partitions, rfWanted, seed) => {
          const rf = Math.min(rfWanted, brokers.length);
          const assignment = planTopicAssignment(
            't',
            { partitions, replicationFactor: rf },
            brokers,
            defaults,
            { random: () => seed },
          );
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
  it("plans Kafka's layout for a fixed start: a random source of 0 means start index 0, shift 0", () => {
    // The layout itself is checked against Kafka's fixture in replica-assignment.test.ts.
    const brokers = [0, 1, 2, 3, 4];
    const planned = planTopicAssignment('t', { partitions: 10, replicationFactor: 3 }, brokers, defaults, {
      random: () => 0,
    });
    expect(planned).toEqual(assignReplicasToBrokers(brokers, 10, 3, { startIndex: 0 }));
    expect(planned[5]).toEqual([0, 2, 3]);
  });
});

describe('controlled shutdown request JSON (sluice addition under /admin/controlled_shutdown)', () => {
  it('round-trips and reads a bare request', () => {
    const request = {
      status: 'done' as const,
      timestamp: 1700000000000,
      partitionsRemaining: [{ topic: 't', partition: 2 }],
    };
    const data = encodeControlledShutdownRequest(request);
    expect(JSON.parse(data.toString())).toEqual({
      version: 1,
      status: 'done',
      timestamp: '1700000000000',
      partitions_remaining: [{ topic: 't', partition: 2 }],
    });
    expect(decodeControlledShutdownRequest(1, data)).toEqual(request);
    expect(
      decodeControlledShutdownRequest(1, Buffer.from('{"version":1,"status":"requested"}')),
    ).toMatchObject({
      status: 'requested',
      partitionsRemaining: [],
    });
    expect(() => decodeControlledShutdownRequest(1, Buffer.from('nope'))).toThrow(/not JSON/);
  });
});
