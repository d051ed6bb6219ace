import { assertLegalName, type ReplicaAssignment, type TopicConfig } from '../../coordinator/zk-paths.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ControllerRequestError } from './controller-errors.js';
import { assignReplicasToBrokers, type ReplicaAssignmentOptions } from './replica-assignment.js';

/** What a CreateTopics request (or the CLI, or auto-creation) asks for. */
export interface CreateTopicOptions {
  /** Number of partitions; absent or -1 = the broker's num.partitions. Ignored with `assignment`. */
  partitions?: number;
  /** Absent or -1 = the broker's default.replication.factor. Ignored with `assignment`. */
  replicationFactor?: number;
  /** Manual assignment: replicas per partition (index = partition id), first = preferred leader. */
  assignment?: ReplicaAssignment;
  /** Topic-level overrides, stored in /config/topics/<t>. */
  config?: TopicConfig;
}

export interface TopicDefaults {
  numPartitions: number;
  defaultReplicationFactor: number;
}

/**
 * Validates a topic request against the live brokers and returns the replica assignment to write
 * (Kafka's checks: legal name, ≥ 1 partition, 1 ≤ RF ≤ live brokers; a manual assignment names only
 * live brokers, never one twice in a partition, and gives every partition the same number of replicas).
 */
export function planTopicAssignment(
  name: string,
  options: CreateTopicOptions,
  liveBrokerIds: readonly number[],
  defaults: TopicDefaults,
  assignmentOptions: ReplicaAssignmentOptions = {},
): ReplicaAssignment {
  try {
    assertLegalName('topic', name);
  } catch (error) {
    throw new ControllerRequestError(ErrorCode.INVALID_TOPIC_EXCEPTION, (error as Error).message);
  }
  const manual = options.assignment;
  if (manual && manual.length > 0) {
    const size = manual[0]?.length ?? 0;
    manual.forEach((replicas, partition) => {
      const invalid = (why: string) =>
        new ControllerRequestError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${partition} ${why}`);
      if (!replicas || replicas.length === 0) throw invalid('has no replicas');
      if (new Set(replicas).size !== replicas.length) throw invalid('repeats a broker');
      if (replicas.length !== size) throw invalid(`has ${replicas.length} replicas, partition 0 has ${size}`);
      const unknown = replicas.filter((id) => !liveBrokerIds.includes(id));
      if (unknown.length > 0) throw invalid(`names broker(s) ${unknown.join(',')} that are not live`);
    });
    return manual.map((replicas) => [...replicas]);
  }
  const partitions =
    options.partitions === undefined || options.partitions === -1
      ? defaults.numPartitions
      : options.partitions;
  const replicationFactor =
    options.replicationFactor === undefined || options.replicationFactor === -1
      ? defaults.defaultReplicationFactor
      : options.replicationFactor;
  return assignReplicasToBrokers(liveBrokerIds, partitions, replicationFactor, assignmentOptions);
}
