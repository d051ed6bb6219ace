import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignReplicasToBrokers } from '../../../../broker/controller/replica-assignment.js';
import { ControllerRequestError } from '../../../../broker/controller/controller-errors.js';
import { thrownCode } from '../../../support/thrown-code.js';

describe('assignReplicasToBrokers (Kafka rack-unaware assignment)', () => {
  it("matches Kafka's own expected assignment for 5 brokers, 10 partitions, RF 3, start 0", () => {
    // AdminUtils' unit test fixture: fixed start index 0 (the shift then starts at 0 too).
    expect(assignReplicasToBrokers([0, 1, 2, 3, 4], 10, 3, { startIndex: 0 })).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('sorts brokers by id and honours an explicit shift', () => {
    expect(assignReplicasToBrokers([30, 10, 20], 4, 2, { startIndex: 1, replicaShift: 1 })).toEqual([
      [20, 10],
      [30, 20],
      [10, 30],
      [20, 30],
    ]);
  });

  it('refuses replication factors above the live brokers or below 1, and < 1 partition', () => {
    const code = (f: () => unknown) => thrownCode(f, ControllerRequestError);
    expect(code(() => assignReplicasToBrokers([1, 2], 3, 3))).toBe(38);
    expect(code(() => assignReplicasToBrokers([1, 2], 3, 0))).toBe(38);
    expect(code(() => assignReplicasToBrokers([], 1, 1))).toBe(38);
    expect(code(() => assignReplicasToBrokers([1, 2], 0, 1))).toBe(37);
  });

  const scenario = fc
    .record({
      brokers: fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }),
      partitions: fc.integer({ min: 1, max: 120 }),
      rfSeed: fc.nat(),
      startSeed: fc.nat(),
      shiftSeed: fc.nat(),
    })
    .map(({ brokers, partitions, rfSeed, startSeed, shiftSeed }) => ({
      brokers,
      partitions,
      replicationFactor: 1 + (rfSeed % brokers.length),
      startIndex: startSeed % brokers.length,
      replicaShift: shiftSeed % brokers.length,
    }));

  it('gives every partition RF distinct live replicas and spreads leaders within ±1', () => {
    fc.assert(
      fc.property(scenario, ({ brokers, partitions, replicationFactor, startIndex, replicaShift }) => {
        const assignment = assignReplicasToBrokers(brokers, partitions, replicationFactor, {
          startIndex,
          replicaShift,
        });
        // Plain checks (expect() in a hot loop costs seconds); the property fails on `false`.
        if (assignment.length !== partitions) return false;
        const brokerSet = new Set(brokers);
        const leaders = new Map<number, number>(brokers.map((b) => [b, 0]));
        for (const replicas of assignment) {
          if (replicas.length !== replicationFactor) return false;
          if (new Set(replicas).size !== replicationFactor) return false;
          if (!replicas.every((r) => brokerSet.has(r))) return false;
          leaders.set(replicas[0]!, leaders.get(replicas[0]!)! + 1);
        }
        const counts = [...leaders.values()];
        if (Math.max(...counts) - Math.min(...counts) > 1) return false;
        // Whole rounds of partitions also spread every replica slot evenly over the brokers.
        if (partitions % brokers.length === 0) {
          const all = new Map<number, number>();
          for (const replicas of assignment) for (const r of replicas) all.set(r, (all.get(r) ?? 0) + 1);
          if (new Set(all.values()).size !== 1) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic for a fixed start and shift, whatever order the brokers come in', () => {
    fc.assert(
      fc.property(scenario, ({ brokers, partitions, replicationFactor, startIndex, replicaShift }) => {
        const a = assignReplicasToBrokers(brokers, partitions, replicationFactor, {
          startIndex,
          replicaShift,
        });
        const b = assignReplicasToBrokers([...brokers].reverse(), partitions, replicationFactor, {
          startIndex,
          replicaShift,
          random: () => 0.999,
        });
        return JSON.stringify(a) === JSON.stringify(b);
      }),
      { numRuns: 200 },
    );
  });

  it('draws start and shift from the random source when not fixed', () => {
    const brokers = [1, 2, 3, 4];
    const starts = new Set<number>();
    for (const r of [0, 0.26, 0.51, 0.76])
      starts.add(assignReplicasToBrokers(brokers, 1, 1, { random: () => r })[0]![0]!);
    expect([...starts].sort()).toEqual([1, 2, 3, 4]);
  });
});
