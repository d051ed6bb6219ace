// CreateTopics (key 19), versions 0-7: partitions and replication factor (-1 = broker default, v4+),
// manual replica assignments, topic configs (written to /config/topics), validate_only. The
// controller (controller.createTopic, from any broker) writes the topic; the active controller then
// writes each partition's first state. Waits (up to
// timeout_ms) until this broker's metadata shows the new topic with leaders, so a client may produce
// right after. Errors: 36 TOPIC_ALREADY_EXISTS, 17 INVALID_TOPIC_EXCEPTION, 37 INVALID_PARTITIONS,
// 38 INVALID_REPLICATION_FACTOR (more than the live brokers), 39 INVALID_REPLICA_ASSIGNMENT,
// 40 INVALID_CONFIG (unknown topic key or a value it does not take), 42 INVALID_REQUEST (assignments plus counts,
// or one of Kafka's internal topics: __consumer_offsets, __transaction_state, __cluster_metadata).
// Not implemented: topic ids (v7 returns the zero uuid), create policies, config validation beyond keys.
import { ErrorCode } from '../../protocol/errors.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/index.js';
import { createTopicsApi } from '../../protocol/messages/create-topics.js';
import type { BrokerServices } from '../broker-services.js';
import {
  ControllerRequestError,
  planTopicAssignment,
  topicExistsError,
  type CreateTopicOptions,
} from '../controller/index.js';
import { defineApiHandler } from './api-handler.js';
import {
  brokerDefaultFor,
  isTopicConfigKey,
  TOPIC_CONFIG_KEYS,
  topicConfigValueProblem,
} from './topic-configs.js';

type TopicResult = CreateTopicsResponse['topics'][number];
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const createTopicsHandler = defineApiHandler(createTopicsApi, {
  async handle(body, _context, broker) {
    const deadline = Date.now() + Math.max(0, body.timeoutMs);
    const counts = new Map<string, number>();
    for (const { name } of body.topics) counts.set(name, (counts.get(name) ?? 0) + 1);
    const duplicates = new Set([...counts].filter(([, n]) => n > 1).map(([name]) => name));
    const topics: TopicResult[] = [];
    for (const topic of body.topics) {
      if (duplicates.has(topic.name)) {
        topics.push(failure(topic.name, ErrorCode.INVALID_REQUEST, 'topic named more than once'));
        continue;
      }
      topics.push(await createTopic(broker, topic, body.validateOnly ?? false, deadline));
    }
    return { throttleTimeMs: 0, topics };
  },
});

function failure(name: string, errorCode: number, errorMessage: string | null): TopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    // Kafka sends an empty list here, never null (the field's default).
    configs: [],
  };
}

async function createTopic(
  broker: BrokerServices,
  topic: CreateTopicsRequest['topics'][number],
  validateOnly: boolean,
  deadline: number,
): Promise<TopicResult> {
  const config: Record<string, string> = {};
  for (const { name, value } of topic.configs) {
    if (!isTopicConfigKey(name))
      return failure(topic.name, ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
    if (value === null) continue;
    const problem = topicConfigValueProblem(name, value);
    if (problem !== null) return failure(topic.name, ErrorCode.INVALID_CONFIG, problem);
    config[name] = value;
  }
  const manual = topic.assignments.length > 0;
  if (manual && (topic.numPartitions !== -1 || topic.replicationFactor !== -1)) {
    return failure(
      topic.name,
      ErrorCode.INVALID_REQUEST,
      'give either replica assignments or partition count and replication factor, not both',
    );
  }
  // Partition indexes must be exactly 0..n-1 (checked before building the array: an index may be huge).
  const assignments: number[][] = [];
  const count = topic.assignments.length;
  for (const { partitionIndex, brokerIds } of topic.assignments) {
    if (!(partitionIndex >= 0 && partitionIndex < count) || assignments[partitionIndex] !== undefined) {
      return failure(
        topic.name,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'partition indexes must be 0..n-1, once each',
      );
    }
    assignments[partitionIndex] = brokerIds;
  }
  const request: CreateTopicOptions = manual
    ? { assignment: assignments, config }
    : { partitions: topic.numPartitions, replicationFactor: topic.replicationFactor, config };
  let assignment: number[][];
  try {
    if (broker.metadata.topics.has(topic.name)) throw topicExistsError(topic.name);
    // One set of checks (broker/controller/topic-plan.ts): the controller plans what it writes, and a
    // dry run plans the same way against this broker's view of the live brokers.
    assignment = validateOnly
      ? planTopicAssignment(topic.name, request, broker.metadata.liveBrokerIds(), broker.config)
      : await (await broker.controller).createTopic(topic.name, request);
  } catch (error) {
    if (error instanceof ControllerRequestError) return failure(topic.name, error.code, error.message);
    broker.logger.error({ err: error, topic: topic.name }, 'topic creation failed');
    return failure(topic.name, ErrorCode.UNKNOWN_SERVER_ERROR, (error as Error).message);
  }
  if (!validateOnly) {
    broker.logger.info({ topic: topic.name, partitions: assignment.length }, 'created topic');
    await broker.clusterSync.refreshTopic(topic.name);
    const ready = await broker.metadata.waitForTopics(() => {
      const known = broker.metadata.topics.get(topic.name);
      return known !== undefined && known.states.every((s) => s !== null);
    }, deadline - Date.now());
    if (!ready) return failure(topic.name, ErrorCode.REQUEST_TIMED_OUT, 'created, but not yet visible');
  }
  return {
    name: topic.name,
    topicId: ZERO_UUID,
    errorCode: 0,
    errorMessage: null,
    numPartitions: assignment.length,
    replicationFactor: assignment[0]?.length ?? -1,
    configs: TOPIC_CONFIG_KEYS.map((key) => ({
      name: key.name,
      value: config[key.name] ?? brokerDefaultFor(key, broker.config),
      readOnly: false,
      configSource: config[key.name] !== undefined ? 1 : 5,
      isSensitive: false,
    })),
  };
}
