import type { ReplicaAssignment } from '../../coordinator/zk-paths.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ControllerRequestError } from './controller-errors.js';

/**
 * Kafka's rack-unaware replica assignment (AdminUtils.assignReplicasToBrokers): over brokers sorted by
 * id, partition p's first replica is broker (start + p) mod n; replica j ≥ 1 sits `1 + (shift + j - 1)
 * mod (n - 1)` brokers after it, and the shift grows by one every n partitions. So leaders (first
 * replicas) go round-robin and followers of one broker spread over the others instead of always
 * landing on its neighbour.
 */

export interface ReplicaAssignmentOptions {
  /** Index (into the sorted broker list) of partition 0's first replica; random when absent. */
  startIndex?: number;
  /** Initial distance of the second replica; Kafka uses startIndex when that is fixed, else random. */
  replicaShift?: number;
  /** Source of randomness for what is not fixed (tests pass a seeded one). Returns [0, 1). */
  random?: () => number;
}

export function assignReplicasToBrokers(
  brokerIds: readonly number[],
  partitions: number,
  replicationFactor: number,
  options: ReplicaAssignmentOptions = {},
): ReplicaAssignment {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new ControllerRequestError(
      ErrorCode.INVALID_PARTITIONS,
      `number of partitions must be at least 1, got ${partitions}`,
    );
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1)
    throw new ControllerRequestError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor must be at least 1, got ${replicationFactor}`,
    );
  const brokers = [...new Set(brokerIds)].sort((a, b) => a - b);
  const n = brokers.length;
  if (replicationFactor > n)
    throw new ControllerRequestError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor ${replicationFactor} is larger than the ${n} live broker(s)`,
    );
  const random = options.random ?? Math.random;
  const pick = () => Math.floor(random() * n);
  const startIndex = options.startIndex ?? pick();
  let shift = options.replicaShift ?? (options.startIndex !== undefined ? options.startIndex : pick());
  if (!Number.isInteger(startIndex) || startIndex < 0 || !Number.isInteger(shift) || shift < 0)
    throw new RangeError('startIndex and replicaShift must be whole numbers ≥ 0');

  const assignment: ReplicaAssignment = [];
  for (let partition = 0; partition < partitions; partition++) {
    if (partition > 0 && partition % n === 0) shift++;
    const first = (partition + startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const distance = 1 + ((shift + j) % (n - 1));
      replicas.push(brokers[(first + distance) % n]!);
    }
    assignment.push(replicas);
  }
  return assignment;
}
