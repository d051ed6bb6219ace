import type { ClusterState } from '../coordinator/cluster-state.js';
import { isZooKeeperError } from '../coordinator/zk-errors.js';
import { assertLegalName, type ReplicaAssignment, type TopicConfig } from '../coordinator/zk-paths.js';
import { ErrorCode } from '../protocol/errors.js';

/**
 * Creates topics the way Kafka's controller would: replica assignment (Kafka's algorithm), the topic
 * znode and config, then each partition's first state (leader = first live replica, ISR = live
 * replicas). Until the controller issue lands, the broker that receives the request does this itself;
 * the whole job lives here so the controller can take it over.
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

/**
 * Kafka's rack-unaware assignment: a random start broker and a random shift between the first and
 * following replicas, so partitions and leaders spread evenly over brokers sorted by id.
 */
export function assignReplicas(
  brokerIds: readonly number[],
  numPartitions: number,
  replicationFactor: number,
  random: () => number = Math.random,
): ReplicaAssignment {
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const n = brokers.length;
  if (replicationFactor > n) {
    throw new TopicCreationError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor ${replicationFactor} is larger than the ${n} live broker(s)`,
    );
  }
  const startIndex = Math.floor(random() * n);
  let shift = Math.floor(random() * n);
  const result: ReplicaAssignment = [];
  for (let p = 0; p < numPartitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const step = 1 + ((shift + j) % (n - 1));
      replicas.push(brokers[(first + step) % n]!);
    }
    result.push(replicas);
  }
  return result;
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

export class TopicCreator {
  constructor(private readonly clusterState: ClusterState) {}

  /** Writes the topic; TOPIC_ALREADY_EXISTS (36) if it exists. Returns the assignment written. */
  async create(request: TopicCreationRequest, liveBrokerIds: readonly number[]): Promise<ReplicaAssignment> {
    const assignment = planTopic(request, liveBrokerIds);
    try {
      await this.clusterState.createTopic(request.name, assignment, request.config ?? {});
    } catch (error) {
      if (isZooKeeperError(error, 'NODEEXISTS'))
        throw new TopicCreationError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${request.name} already exists`);
      throw error;
    }
    const controllerEpoch = await this.currentControllerEpoch();
    for (let partition = 0; partition < assignment.length; partition++) {
      const replicas = assignment[partition]!;
      const live = replicas.filter((id) => liveBrokerIds.includes(id));
      try {
        await this.clusterState.createPartitionState(
          { topic: request.name, partition },
          { leader: live[0] ?? -1, leaderEpoch: 0, controllerEpoch, isr: live },
        );
      } catch (error) {
        if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
      }
    }
    return assignment;
  }

  private async currentControllerEpoch(): Promise<number> {
    try {
      return (await this.clusterState.readControllerEpoch()).value;
    } catch {
      return 0;
    }
  }
}
