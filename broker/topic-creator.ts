import { assertLegalName, type ReplicaAssignment, type TopicConfig } from '../coordinator/zk-paths.js';
import { ErrorCode } from '../protocol/errors.js';
import { ControllerRequestError } from './controller/controller-errors.js';
import { assignReplicasToBrokers } from './controller/replica-assignment.js';

/**
 * Validation of topic-creation requests at the broker's edge (CreateTopics, auto-creation): legal
 * names, partition caps, manual assignments. The topic itself is written by the controller
 * (`controller.createTopic`, broker/controller/), which also writes each partition's first state.
 */

export class TopicCreationError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TopicCreationError';
  }
}

export interface TopicCreationRequest {
  name: string;
  /** Used when `assignments` is empty. */
  numPartitions: number;
  replicationFactor: number;
  /** Manual assignment: replica list per partition, index = partition id. */
  assignments?: ReplicaAssignment;
  config?: TopicConfig;
}

/**
 * The topic znode holds the whole assignment and ZooKeeper caps a znode near 1 MiB, so a larger
 * topic could never be written; refusing early also keeps a hostile request from allocating billions.
 */
export const MAX_PARTITIONS_PER_TOPIC = 50_000;

/** Kafka's legal topic names: 1–249 of [a-zA-Z0-9._-], not '.' or '..'. */
export function checkTopicName(name: string): void {
  try {
    assertLegalName('topic', name);
  } catch (error) {
    throw new TopicCreationError(ErrorCode.INVALID_TOPIC_EXCEPTION, (error as Error).message);
  }
}

/** Kafka's rack-unaware assignment: the controller's algorithm, with its refusals as TopicCreationError. */
export function assignReplicas(
  brokerIds: readonly number[],
  numPartitions: number,
  replicationFactor: number,
  random: () => number = Math.random,
): ReplicaAssignment {
  try {
    return assignReplicasToBrokers(brokerIds, numPartitions, replicationFactor, { random });
  } catch (error) {
    if (error instanceof ControllerRequestError) throw new TopicCreationError(error.code, error.message);
    throw error;
  }
}

/** Validates a request against the live brokers and returns the assignment it would get. */
export function planTopic(
  request: TopicCreationRequest,
  liveBrokerIds: readonly number[],
): ReplicaAssignment {
  checkTopicName(request.name);
  if (request.assignments && request.assignments.length > MAX_PARTITIONS_PER_TOPIC) {
    throw new TopicCreationError(
      ErrorCode.INVALID_PARTITIONS,
      `at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic`,
    );
  }
  if (request.assignments && request.assignments.length > 0) {
    request.assignments.forEach((replicas, p) => {
      if (!replicas || replicas.length === 0)
        throw new TopicCreationError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${p} has no replicas`);
      if (new Set(replicas).size !== replicas.length)
        throw new TopicCreationError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${p} repeats a broker`);
      const unknown = replicas.filter((id) => !liveBrokerIds.includes(id));
      if (unknown.length > 0)
        throw new TopicCreationError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `partition ${p} names broker(s) ${unknown.join(',')} that are not live`,
        );
    });
    return request.assignments;
  }
  if (request.numPartitions < 1)
    throw new TopicCreationError(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1`);
  if (request.numPartitions > MAX_PARTITIONS_PER_TOPIC)
    throw new TopicCreationError(
      ErrorCode.INVALID_PARTITIONS,
      `at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic (the assignment must fit one znode)`,
    );
  if (request.replicationFactor < 1)
    throw new TopicCreationError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor must be at least 1`,
    );
  if (liveBrokerIds.length === 0)
    throw new TopicCreationError(ErrorCode.INVALID_REPLICATION_FACTOR, 'no live brokers');
  return assignReplicas(liveBrokerIds, request.numPartitions, request.replicationFactor);
}
