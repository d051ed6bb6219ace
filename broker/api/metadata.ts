// Metadata (key 3), versions 0-9: live brokers (advertised address of the listener the request came
// in on), cluster id, controller id, topics with leader, leader epoch, replicas, ISR and offline
// replicas. Missing topics are auto-created when auto.create.topics.enable is on and (v4+) the
// request allows it; the answer for such a topic is LEADER_NOT_AVAILABLE until clients retry. A leader
// is named only once it serves the partition (leaderServes), else 5 LEADER_NOT_AVAILABLE. Names
// beginning with `__` (Kafka's internal topics) are never auto-created: 3 UNKNOWN_TOPIC_OR_PARTITION.
// Not implemented: authorized operations (always the "not requested" default), internal topics.
import { ErrorCode } from '../../protocol/errors.js';
import type { MetadataResponse } from '../../protocol/index.js';
import { metadataApi } from '../../protocol/messages/metadata.js';
import type { PartitionState } from '../../coordinator/zk-paths.js';
import type { BrokerServices } from '../broker-services.js';
import { checkTopicName, ControllerRequestError, isReservedForInternalTopics } from '../controller/index.js';
import { defineApiHandler } from './api-handler.js';

type TopicEntry = MetadataResponse['topics'][number];

export const metadataHandler = defineApiHandler(metadataApi, {
  async handle(body, context, broker) {
    const version = context.header.apiVersion;
    const cache = broker.metadata;
    // v0: an empty list means every topic; v1+: null means every topic.
    const all = body.topics === null || (version === 0 && body.topics.length === 0);
    const allowAutoCreate =
      broker.config.autoCreateTopicsEnable && (version < 4 || body.allowAutoTopicCreation !== false);

    const topics: TopicEntry[] = [];
    if (all) {
      for (const name of [...cache.topics.keys()].sort()) topics.push(describeTopic(broker, name));
    } else {
      for (const { name } of body.topics ?? []) {
        if (cache.topics.has(name)) topics.push(describeTopic(broker, name));
        else topics.push(await missingTopic(broker, name, allowAutoCreate));
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: brokerList(broker, context.listenerName),
      clusterId: cache.clusterId,
      controllerId: controllerId(broker),
      topics,
      clusterAuthorizedOperations: -2147483648,
    };
  },
});

/**
 * The active controller; while none is elected (between terms) clients are pointed at the lowest live
 * broker id, since any broker serves admin requests.
 */
export function controllerId(broker: BrokerServices): number {
  return broker.metadata.controllerId ?? broker.metadata.liveBrokerIds()[0] ?? broker.brokerId;
}

function brokerList(broker: BrokerServices, listenerName: string): MetadataResponse['brokers'] {
  const result: MetadataResponse['brokers'] = [];
  for (const id of broker.metadata.liveBrokerIds()) {
    const registration = broker.metadata.brokers.get(id)!;
    const endpoint =
      registration.endpoints.find((e) => e.listener === listenerName) ?? registration.endpoints[0];
    const host = endpoint?.host ?? registration.host;
    const port = endpoint?.port ?? registration.port;
    result.push({ nodeId: id, host, port, rack: registration.rack });
  }
  return result;
}

function describeTopic(broker: BrokerServices, name: string): TopicEntry {
  const topic = broker.metadata.topics.get(name)!;
  const live = new Set(broker.metadata.liveBrokerIds());
  return {
    errorCode: 0,
    name,
    isInternal: false,
    partitions: topic.assignment.map((replicas, partitionIndex) => {
      const state = topic.states[partitionIndex] ?? null;
      const leaderLive =
        state !== null &&
        state.leader >= 0 &&
        live.has(state.leader) &&
        leaderServes(broker, name, partitionIndex, state);
      return {
        errorCode: leaderLive ? 0 : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex,
        leaderId: leaderLive ? state.leader : -1,
        leaderEpoch: state?.leaderEpoch ?? -1,
        replicaNodes: replicas,
        isrNodes: state?.isr ?? [],
        offlineReplicas: replicas.filter((id) => !live.has(id)),
      };
    }),
    topicAuthorizedOperations: -2147483648,
  };
}

/**
 * Whether the named leader already serves the partition (Kafka answers 5 LEADER_NOT_AVAILABLE until
 * then): this broker knows for itself; another leader has acknowledged it in ZooKeeper (leader_ack,
 * written by ClusterSync once it opened the partition), so no client is sent to a leader that would
 * not know the partition yet. Costs nothing per request: both are in memory.
 */
function leaderServes(
  broker: BrokerServices,
  topic: string,
  partition: number,
  state: PartitionState,
): boolean {
  if (state.leader !== broker.brokerId) return broker.metadata.leaderAcknowledged(topic, partition, state);
  const local = broker.replicas.get({ topic, partition });
  return local !== undefined && local.isLeader && local.leaderEpoch >= state.leaderEpoch;
}

async function missingTopic(
  broker: BrokerServices,
  name: string,
  allowAutoCreate: boolean,
): Promise<TopicEntry> {
  const entry = (errorCode: number): TopicEntry => ({
    errorCode,
    name,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: -2147483648,
  });
  if (!allowAutoCreate || isReservedForInternalTopics(name))
    return entry(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    checkTopicName(name);
    const controller = await broker.controller;
    await controller.createTopic(name, {
      partitions: broker.config.numPartitions,
      replicationFactor: broker.config.defaultReplicationFactor,
    });
    broker.logger.info({ topic: name }, 'auto-created topic');
  } catch (error) {
    if (error instanceof ControllerRequestError) {
      if (error.code !== ErrorCode.TOPIC_ALREADY_EXISTS) return entry(error.code);
    } else {
      broker.logger.warn({ err: error, topic: name }, 'auto-create failed');
      return entry(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }
  await broker.clusterSync.refreshTopic(name);
  return broker.metadata.topics.has(name)
    ? describeTopic(broker, name)
    : entry(ErrorCode.LEADER_NOT_AVAILABLE);
}
