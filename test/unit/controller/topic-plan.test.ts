import { describe, expect, it } from 'vitest';
import { planTopicAssignment } from '../../../broker/controller/topic-plan.js';
import { ControllerRequestError } from '../../../broker/controller/controller-errors.js';
import {
  decodeControlledShutdownRequest,
  encodeControlledShutdownRequest,
} from '../../../coordinator/controller-state.js';

const defaults = { numPartitions: 3, defaultReplicationFactor: 2 };

function codeOf(f: () => unknown): number | null {
  try {
    f();
    return null;
  } catch (error) {
    if (error instanceof ControllerRequestError) return error.code;
    throw error;
  }
}

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
