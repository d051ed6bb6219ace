import { assertLegalName, type ReplicaAssignment, type TopicConfig } from '../../coordinator/zk-paths.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ControllerRequestError } from './controller-errors.js';
import { assignReplicasToBrokers, type ReplicaAssignmentOptions } from './replica-assignment.js';

/**
 * The one place a topic request is checked: CreateTopics (also with validate_only), Metadata
 * auto-creation and the CLI all reach it, through `controller.createTopic` or directly. Refusals are
 * ControllerRequestError with the code CreateTopics returns: 17 INVALID_TOPIC_EXCEPTION,
 * 37 INVALID_PARTITIONS, 38 INVALID_REPLICATION_FACTOR, 39 INVALID_REPLICA_ASSIGNMENT.
 */

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
 * The topic znode holds the whole assignment and ZooKeeper caps a znode near 1 MiB, so a larger
 * topic could never be written; refusing early also keeps a hostile request from allocating billions.
 */
export const MAX_PARTITIONS_PER_TOPIC = 50_000;

/** Kafka's legal topic names: 1–249 of [a-zA-Z0-9._-], not '.' or '..' (17 INVALID_TOPIC_EXCEPTION). */
export function checkTopicName(name: string): void {
  try {
    assertLegalName('topic', name);
  } catch (error) {
    throw new ControllerRequestError(ErrorCode.INVALID_TOPIC_EXCEPTION, (error as Error).message);
  }
}

/**
 * Kafka's own internal topics. sluice keeps group offsets in ZooKeeper and has no transaction log or
 * metadata topic, so a topic of one of these names would be an ordinary, empty topic that tools read as
 * Kafka's (Burrow read offsets from an auto-created __consumer_offsets): refused the way Kafka refuses
 * creating __cluster_metadata (42 INVALID_REQUEST).
 */
const KAFKA_INTERNAL_TOPICS: ReadonlySet<string> = new Set([
  '__consumer_offsets',
  '__transaction_state',
  '__cluster_metadata',
]);

function checkNotKafkaInternal(name: string): void {
  if (KAFKA_INTERNAL_TOPICS.has(name))
    throw new ControllerRequestError(
      ErrorCode.INVALID_REQUEST,
      `Creation of internal topic ${name} is prohibited (sluice keeps group offsets in ZooKeeper)`,
    );
}

/**
 * Names beginning with `__` are Kafka's convention for internal topics; none is ever auto-created, so
 * a tool looking for one learns it is absent instead of reading an empty ordinary topic.
 */
export function isReservedForInternalTopics(name: string): boolean {
  return name.startsWith('__');
}

function checkPartitionCap(partitions: number): void {
  if (partitions > MAX_PARTITIONS_PER_TOPIC)
    throw new ControllerRequestError(
      ErrorCode.INVALID_PARTITIONS,
      `at most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic (the assignment must fit one znode)`,
    );
}

/** A manual assignment names only live brokers, never one twice in a partition, same size everywhere. */
function checkManualAssignment(manual: ReplicaAssignment, liveBrokerIds: readonly number[]): void {
  checkPartitionCap(manual.length);
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
}

/**
 * Validates a topic request against the live brokers and returns the replica assignment to write
 * (Kafka's checks: legal name, 1 ≤ partitions ≤ MAX_PARTITIONS_PER_TOPIC, 1 ≤ RF ≤ live brokers, or a
 * valid manual assignment, which is returned as given).
 */
export function planTopicAssignment(
  name: string,
  options: CreateTopicOptions,
  liveBrokerIds: readonly number[],
  defaults: TopicDefaults,
  assignmentOptions: ReplicaAssignmentOptions = {},
): ReplicaAssignment {
  checkTopicName(name);
  checkNotKafkaInternal(name);
  const manual = options.assignment;
  if (manual && manual.length > 0) {
    checkManualAssignment(manual, liveBrokerIds);
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
  checkPartitionCap(partitions);
  // The assignment algorithm refuses partitions < 1 (37) and RF < 1 or above the live brokers (38).
  return assignReplicasToBrokers(liveBrokerIds, partitions, replicationFactor, assignmentOptions);
}
