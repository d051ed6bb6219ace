import { randomBytes } from 'node:crypto';
import { topicPartitionKey, type TopicPartition } from '../protocol/topic-partition.js';

/**
 * Every ZooKeeper path sluice uses and the JSON stored at each: Kafka's ZooKeeper-era layout
 * (docs/architecture.md §5), so Kafka-aware tools can read a sluice cluster. Pure: builds paths, encodes and
 * decodes payloads; `cluster-state.ts` does the I/O. No other module spells a path.
 */

export const zkPaths = {
  brokerIds: '/brokers/ids',
  broker: (id: number) => `/brokers/ids/${id}`,
  topics: '/brokers/topics',
  topic: (topic: string) => `/brokers/topics/${topic}`,
  partitions: (topic: string) => `/brokers/topics/${topic}/partitions`,
  partition: (tp: TopicPartition) => `/brokers/topics/${tp.topic}/partitions/${tp.partition}`,
  partitionState: (tp: TopicPartition) => `/brokers/topics/${tp.topic}/partitions/${tp.partition}/state`,
  /** sluice's own: the leader's acknowledgement that it serves the partition (see LeaderAck). */
  partitionLeaderAck: (tp: TopicPartition) =>
    `/brokers/topics/${tp.topic}/partitions/${tp.partition}/leader_ack`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  deleteTopics: '/admin/delete_topics',
  deleteTopic: (topic: string) => `/admin/delete_topics/${topic}`,
  topicConfigs: '/config/topics',
  topicConfig: (topic: string) => `/config/topics/${topic}`,
  clusterId: '/cluster/id',
  producerIdBlock: '/latest_producer_id_block',
  consumers: '/consumers',
  group: (group: string) => `/consumers/${group}`,
  groupMembers: (group: string) => `/consumers/${group}/ids`,
  groupMember: (group: string, consumerId: string) => `/consumers/${group}/ids/${consumerId}`,
  groupOwners: (group: string) => `/consumers/${group}/owners`,
  groupTopicOwners: (group: string, topic: string) => `/consumers/${group}/owners/${topic}`,
  partitionOwner: (group: string, tp: TopicPartition) =>
    `/consumers/${group}/owners/${tp.topic}/${tp.partition}`,
  groupOffsets: (group: string) => `/consumers/${group}/offsets`,
  groupTopicOffsets: (group: string, topic: string) => `/consumers/${group}/offsets/${topic}`,
  partitionOffset: (group: string, tp: TopicPartition) =>
    `/consumers/${group}/offsets/${tp.topic}/${tp.partition}`,
  groupAssignment: (group: string) => `/consumers/${group}/assignment`,
} as const;

/** Parents created once at cluster start (Kafka's createTopLevelPaths does the same). */
export const TOP_LEVEL_PATHS = [
  zkPaths.brokerIds,
  zkPaths.topics,
  zkPaths.deleteTopics,
  zkPaths.topicConfigs,
  '/cluster',
  zkPaths.consumers,
] as const;

/** A name that is safe as one path segment (Kafka's legal topic characters; no '/', '.' or '..'). */
const LEGAL_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function assertLegalName(kind: string, name: string): void {
  if (!LEGAL_NAME.test(name) || name === '.' || name === '..') {
    throw new Error(
      `illegal ${kind} name ${JSON.stringify(name)}: use 1–249 of [a-zA-Z0-9._-], not '.' or '..'`,
    );
  }
}

// ---- JSON helpers ------------------------------------------------------------------------------

function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function parseObject(data: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new Error(`${what}: not JSON: ${JSON.stringify(data.toString('utf8').slice(0, 200))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

function int(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`${what}: expected an integer`);
  return value;
}

function intList(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected an array`);
  return value.map((item, index) => int(item, `${what}[${index}]`));
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
}

/** Decimal text, as Kafka stores the controller epoch and consumer offsets. */
function decimal(data: Buffer, what: string): number {
  const text = data.toString('utf8').trim();
  if (!/^-?\d+$/.test(text)) throw new Error(`${what}: expected decimal text, got ${JSON.stringify(text)}`);
  return Number(text);
}

// ---- /brokers/ids/<id> -------------------------------------------------------------------------

export interface BrokerEndpoint {
  /** Listener name, e.g. PLAINTEXT. */
  listener: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BrokerRegistration {
  id: number;
  /** Host and port of the first PLAINTEXT endpoint (Kafka's top-level fields, for old clients). */
  host: string;
  port: number;
  endpoints: BrokerEndpoint[];
  jmxPort: number;
  /** Registration time, ms since the epoch. */
  timestamp: number;
  rack: string | null;
}

export interface BrokerRegistrationInput {
  id: number;
  endpoints: BrokerEndpoint[];
  rack?: string | null;
  jmxPort?: number;
  timestamp?: number;
}

/**
 * Version 5 as Kafka 2.7+ writes it (`features` is part of v5; Kafka's decoder treats it as optional),
 * with `rack` always present (null when unset; Kafka's decoder accepts null).
 */
export function encodeBrokerRegistration(input: BrokerRegistrationInput): Buffer {
  const plaintext = input.endpoints.find((e) => e.securityProtocol === 'PLAINTEXT');
  const listenerMap: Record<string, string> = {};
  for (const endpoint of input.endpoints) listenerMap[endpoint.listener] = endpoint.securityProtocol;
  return encodeJson({
    version: 5,
    host: plaintext?.host ?? null,
    port: plaintext?.port ?? -1,
    endpoints: input.endpoints.map((e) => `${e.listener}://${e.host}:${e.port}`),
    listener_security_protocol_map: listenerMap,
    jmx_port: input.jmxPort ?? -1,
    features: {},
    timestamp: String(input.timestamp ?? Date.now()),
    rack: input.rack ?? null,
  });
}

/** Accepts versions 1–5 as Kafka does: v1 has only host/port; later versions list endpoints. */
export function decodeBrokerRegistration(id: number, data: Buffer): BrokerRegistration {
  const what = `broker ${id} registration`;
  const json = parseObject(data, what);
  const version = int(json.version, `${what}.version`);
  const protocols = (json.listener_security_protocol_map ?? {}) as Record<string, unknown>;
  let endpoints: BrokerEndpoint[];
  if (version <= 1) {
    endpoints = [
      {
        listener: 'PLAINTEXT',
        host: str(json.host, `${what}.host`),
        port: int(json.port, `${what}.port`),
        securityProtocol: 'PLAINTEXT',
      },
    ];
  } else {
    if (!Array.isArray(json.endpoints)) throw new Error(`${what}.endpoints: expected an array`);
    endpoints = json.endpoints.map((raw, index) => {
      const match = /^([A-Za-z0-9_-]+):\/\/\[?([^\]]*?)\]?:(\d+)$/.exec(
        str(raw, `${what}.endpoints[${index}]`),
      );
      if (!match) throw new Error(`${what}.endpoints[${index}]: not LISTENER://host:port`);
      const listener = match[1]!;
      const mapped = protocols[listener];
      return {
        listener,
        host: match[2]!,
        port: Number(match[3]),
        securityProtocol: typeof mapped === 'string' ? mapped : listener,
      };
    });
  }
  const plaintext = endpoints.find((e) => e.securityProtocol === 'PLAINTEXT') ?? endpoints[0];
  const rack = json.rack;
  return {
    id,
    host: typeof json.host === 'string' ? json.host : (plaintext?.host ?? ''),
    port: typeof json.port === 'number' && json.port >= 0 ? json.port : (plaintext?.port ?? -1),
    endpoints,
    jmxPort: typeof json.jmx_port === 'number' ? json.jmx_port : -1,
    timestamp: Number(json.timestamp ?? 0),
    rack: typeof rack === 'string' ? rack : null,
  };
}

// ---- /brokers/topics/<t> -----------------------------------------------------------------------

/** Replicas of each partition, index = partition id; the first replica is the preferred leader. */
export type ReplicaAssignment = number[][];

export function encodeTopicAssignment(assignment: ReplicaAssignment): Buffer {
  const partitions: Record<string, number[]> = {};
  assignment.forEach((replicas, partition) => (partitions[String(partition)] = [...replicas]));
  return encodeJson({ version: 1, partitions });
}

/** Reads version 1 and Kafka's later version 2 (which adds adding/removing replicas and topic_id). */
export function decodeTopicAssignment(topic: string, data: Buffer): ReplicaAssignment {
  const what = `topic ${topic} assignment`;
  const json = parseObject(data, what);
  const partitions = json.partitions;
  if (typeof partitions !== 'object' || partitions === null)
    throw new Error(`${what}.partitions: expected an object`);
  const entries = Object.entries(partitions as Record<string, unknown>).map(
    ([key, replicas]) => [Number(key), intList(replicas, `${what}.partitions.${key}`)] as const,
  );
  const assignment: ReplicaAssignment = [];
  for (const [partition, replicas] of entries) {
    if (!Number.isInteger(partition) || partition < 0)
      throw new Error(`${what}: bad partition key ${partition}`);
    assignment[partition] = replicas;
  }
  for (let p = 0; p < assignment.length; p++) {
    if (assignment[p] === undefined) throw new Error(`${what}: partition ${p} missing`);
  }
  return assignment;
}

// ---- /brokers/topics/<t>/partitions/<p>/state ---------------------------------------------------

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  controllerEpoch: number;
  isr: number[];
}

export function encodePartitionState(state: PartitionState): Buffer {
  return encodeJson({
    version: 1,
    leader: state.leader,
    leader_epoch: state.leaderEpoch,
    controller_epoch: state.controllerEpoch,
    isr: [...state.isr],
  });
}

export function decodePartitionState(tp: TopicPartition, data: Buffer): PartitionState {
  const what = `partition state ${topicPartitionKey(tp)}`;
  const json = parseObject(data, what);
  return {
    leader: int(json.leader, `${what}.leader`),
    leaderEpoch: int(json.leader_epoch, `${what}.leader_epoch`),
    controllerEpoch: int(json.controller_epoch, `${what}.controller_epoch`),
    isr: intList(json.isr, `${what}.isr`),
  };
}

/**
 * A leader's acknowledgement, written once it has opened a partition as leader in `leaderEpoch`:
 * brokers name a leader in Metadata only when its acknowledgement matches the partition state, so a
 * client is never sent to a leader that does not serve the partition yet. A sibling of `state`, so it
 * goes with the topic; Kafka's tools ignore it.
 */
export interface LeaderAck {
  leader: number;
  leaderEpoch: number;
}

export function encodeLeaderAck(ack: LeaderAck): Buffer {
  return encodeJson({ version: 1, leader: ack.leader, leader_epoch: ack.leaderEpoch });
}

export function decodeLeaderAck(tp: TopicPartition, data: Buffer): LeaderAck {
  const what = `leader ack ${tp.topic}-${tp.partition}`;
  const json = parseObject(data, what);
  return {
    leader: int(json.leader, `${what}.leader`),
    leaderEpoch: int(json.leader_epoch, `${what}.leader_epoch`),
  };
}

// ---- /controller, /controller_epoch ------------------------------------------------------------

export function encodeController(brokerId: number, timestamp = Date.now()): Buffer {
  return encodeJson({ version: 1, brokerid: brokerId, timestamp: String(timestamp) });
}

export function decodeController(data: Buffer): { brokerId: number; timestamp: number } {
  const json = parseObject(data, 'controller');
  return { brokerId: int(json.brokerid, 'controller.brokerid'), timestamp: Number(json.timestamp ?? 0) };
}

export function encodeControllerEpoch(epoch: number): Buffer {
  return Buffer.from(String(epoch), 'utf8');
}

export function decodeControllerEpoch(data: Buffer): number {
  return decimal(data, 'controller epoch');
}

// ---- /config/topics/<t> ------------------------------------------------------------------------

export type TopicConfig = Record<string, string>;

export function encodeTopicConfig(config: TopicConfig): Buffer {
  return encodeJson({ version: 1, config: { ...config } });
}

export function decodeTopicConfig(topic: string, data: Buffer): TopicConfig {
  if (data.length === 0) return {};
  const json = parseObject(data, `topic ${topic} config`);
  const config: TopicConfig = {};
  const raw = json.config;
  if (typeof raw === 'object' && raw !== null) {
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) config[key] = String(value);
  }
  return config;
}

// ---- /cluster/id -------------------------------------------------------------------------------

export function encodeClusterId(id: string): Buffer {
  // Kafka writes the version as a string here, unlike every other node.
  return encodeJson({ version: '1', id });
}

export function decodeClusterId(data: Buffer): string {
  return str(parseObject(data, 'cluster id').id, 'cluster id.id');
}

// ---- /latest_producer_id_block -----------------------------------------------------------------

export interface ProducerIdBlock {
  brokerId: number;
  /** First and last producer id of the block, inclusive. */
  blockStart: bigint;
  blockEnd: bigint;
}

/** Kafka's ZooKeeper-era producer id blocks hold 1000 ids. */
export const PRODUCER_ID_BLOCK_SIZE = 1000n;

export function encodeProducerIdBlock(block: ProducerIdBlock): Buffer {
  // 64-bit ids travel as decimal strings, as Kafka writes them.
  return encodeJson({
    version: 1,
    broker: block.brokerId,
    block_start: block.blockStart.toString(),
    block_end: block.blockEnd.toString(),
  });
}

export function decodeProducerIdBlock(data: Buffer): ProducerIdBlock | null {
  if (data.length === 0) return null;
  const json = parseObject(data, 'producer id block');
  return {
    brokerId: int(json.broker, 'producer id block.broker'),
    blockStart: BigInt(String(json.block_start)),
    blockEnd: BigInt(String(json.block_end)),
  };
}

// ---- /consumers/<g>/… ----------------------------------------------------------------------------

export interface ConsumerRegistration {
  /** Topic → number of streams (always 1 for sluice). */
  subscription: Record<string, number>;
  pattern: 'static' | 'white_list' | 'black_list';
  timestamp: number;
}

export function encodeConsumerRegistration(topics: readonly string[], timestamp = Date.now()): Buffer {
  const subscription: Record<string, number> = {};
  for (const topic of topics) subscription[topic] = 1;
  return encodeJson({ version: 1, subscription, pattern: 'static', timestamp: String(timestamp) });
}

export function decodeConsumerRegistration(consumerId: string, data: Buffer): ConsumerRegistration {
  const what = `consumer ${consumerId} registration`;
  const json = parseObject(data, what);
  const subscription: Record<string, number> = {};
  const raw = json.subscription;
  if (typeof raw !== 'object' || raw === null) throw new Error(`${what}.subscription: expected an object`);
  for (const [topic, streams] of Object.entries(raw as Record<string, unknown>)) {
    subscription[topic] = int(streams, `${what}.subscription.${topic}`);
  }
  const pattern = json.pattern === 'white_list' || json.pattern === 'black_list' ? json.pattern : 'static';
  return { subscription, pattern, timestamp: Number(json.timestamp ?? 0) };
}

export function encodeOffset(offset: bigint | number): Buffer {
  return Buffer.from(String(offset), 'utf8');
}

export function decodeOffset(data: Buffer): bigint {
  const text = data.toString('utf8').trim();
  if (!/^-?\d+$/.test(text))
    throw new Error(`consumer offset: expected decimal text, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

export interface GroupAssignment {
  generation: number;
  /** The member ids the leader saw, sorted. */
  members: string[];
  /** Topic → partition → owning consumer id. */
  partitions: Record<string, Record<number, string>>;
}

export function encodeGroupAssignment(assignment: GroupAssignment): Buffer {
  const partitions: Record<string, Record<string, string>> = {};
  for (const [topic, owners] of Object.entries(assignment.partitions)) {
    partitions[topic] = {};
    for (const [partition, owner] of Object.entries(owners)) partitions[topic][String(partition)] = owner;
  }
  return encodeJson({
    version: 1,
    generation: assignment.generation,
    members: [...assignment.members],
    partitions,
  });
}

export function decodeGroupAssignment(group: string, data: Buffer): GroupAssignment {
  const what = `group ${group} assignment`;
  const json = parseObject(data, what);
  if (!Array.isArray(json.members)) throw new Error(`${what}.members: expected an array`);
  const partitions: Record<string, Record<number, string>> = {};
  const raw = json.partitions;
  if (typeof raw !== 'object' || raw === null) throw new Error(`${what}.partitions: expected an object`);
  for (const [topic, owners] of Object.entries(raw as Record<string, unknown>)) {
    const byPartition: Record<number, string> = {};
    for (const [partition, owner] of Object.entries(owners as Record<string, unknown>)) {
      byPartition[Number(partition)] = str(owner, `${what}.partitions.${topic}.${partition}`);
    }
    partitions[topic] = byPartition;
  }
  return {
    generation: int(json.generation, `${what}.generation`),
    members: json.members.map((m, i) => str(m, `${what}.members[${i}]`)),
    partitions,
  };
}

/**
 * Kafka's cluster ids: 16 random bytes as URL-safe base64 without padding (22 characters); like Kafka,
 * never one that starts with '-', which command lines would take for a flag.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
