import { componentLogger } from '../log/logger.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/index.js';
import { NoBrokersAvailableError } from './client-errors.js';
import type { ClusterMetadata, PartitionMetadata } from './cluster-metadata.js';
import { KafkaClient, type KafkaClientOptions } from './kafka-client.js';
import type { KafkaConnection } from './kafka-connection.js';

const log = componentLogger('kafka-admin');

export interface NewTopic {
  name: string;
  /** Omit for the broker's num.partitions. */
  numPartitions?: number;
  /** Omit for the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Topic configs (retention.ms, segment.bytes, …). */
  configs?: Record<string, string>;
}

/** Outcome for one topic of a create or delete; `error` is undefined on success. */
export interface TopicOperationResult {
  name: string;
  error?: KafkaProtocolError;
  /** The broker's own explanation (CreateTopics/DeleteTopics errorMessage), when it gave one. */
  errorMessage?: string;
}

/** Which offset ListOffsets should find: the log start, the log end, or the first at/after a time. */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: bigint };

export interface PartitionOffsets extends PartitionMetadata {
  /** Log start offset, or null if the leader could not say. */
  logStartOffset: bigint | null;
  /** Log end offset (the high watermark as ListOffsets reports it), or null. */
  logEndOffset: bigint | null;
}

export interface TopicDescription {
  name: string;
  errorCode: number;
  partitions: PartitionOffsets[];
}

/** Kafka's ListOffsets timestamps for "earliest" and "latest". */
const EARLIEST = -2n;
const LATEST = -1n;
/** DescribeConfigs resource type of a topic, and the config source of a per-topic override. */
const TOPIC_RESOURCE = 2;
const DYNAMIC_TOPIC_CONFIG = 1;
/** How many times a request meeting NOT_CONTROLLER is retried after a metadata refresh. */
const CONTROLLER_RETRIES = 3;

/**
 * Topic administration over the Kafka protocol: CreateTopics/DeleteTopics go to the controller (any
 * broker when the cluster names none), Metadata and ListOffsets describe what exists.
 */
export class KafkaAdmin {
  constructor(readonly client: KafkaClient) {}

  static async create(options: KafkaClientOptions): Promise<KafkaAdmin> {
    return new KafkaAdmin(await KafkaClient.create(options));
  }

  async createTopics(
    topics: readonly NewTopic[],
    options: { timeoutMs?: number; validateOnly?: boolean } = {},
  ): Promise<TopicOperationResult[]> {
    return this.withController(async (connection) => {
      const version = connection.versionOf(ApiKey.CreateTopics) ?? 0;
      // Before v4 the broker cannot fill in its defaults, so fall back to Kafka's own: 1 and 1.
      const unset = version >= 4 ? -1 : 1;
      const response = await connection.request(
        ApiKey.CreateTopics,
        {
          topics: topics.map((t) => ({
            name: t.name,
            numPartitions: t.numPartitions ?? unset,
            replicationFactor: t.replicationFactor ?? unset,
            assignments: [],
            configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
          timeoutMs: options.timeoutMs ?? 30_000,
          validateOnly: options.validateOnly ?? false,
        },
        { timeoutMs: (options.timeoutMs ?? 30_000) + 5_000 },
      );
      return response.topics.map((t) => result(t.name, t.errorCode, t.errorMessage));
    });
  }

  async deleteTopics(
    names: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<TopicOperationResult[]> {
    return this.withController(async (connection) => {
      const version = connection.versionOf(ApiKey.DeleteTopics) ?? 0;
      const timeoutMs = options.timeoutMs ?? 30_000;
      const body =
        version >= 6
          ? {
              topics: names.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })),
              timeoutMs,
            }
          : { topicNames: [...names], timeoutMs };
      const response = await connection.request(ApiKey.DeleteTopics, body, { timeoutMs: timeoutMs + 5_000 });
      return response.responses.map((r) => result(r.name ?? '', r.errorCode, r.errorMessage));
    });
  }

  /** Topic names, sorted (internal topics included only if asked). */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const metadata = await this.client.refreshMetadata(null);
    return metadata
      .topicNames()
      .filter((name) => options.includeInternal || !metadata.topic(name)?.isInternal);
  }

  /** Metadata plus log start/end offsets per partition; `names` undefined = every topic. */
  async describeTopics(names?: readonly string[]): Promise<TopicDescription[]> {
    const metadata = await this.client.refreshMetadata(names ?? null);
    const topics = [...metadata.topics.values()]
      .filter((t) => names !== undefined || t.errorCode === 0)
      .sort((a, b) => a.name.localeCompare(b.name));
    const wanted = topics.filter((t) => t.errorCode === 0).map((t) => t.name);
    const [earliest, latest] = await Promise.all([
      this.offsetsFor(metadata, wanted, 'earliest'),
      this.offsetsFor(metadata, wanted, 'latest'),
    ]);
    return topics.map((t) => ({
      name: t.name,
      errorCode: t.errorCode,
      partitions: t.partitions.map((p) => ({
        ...p,
        logStartOffset: earliest.get(key(t.name, p.partition)) ?? null,
        logEndOffset: latest.get(key(t.name, p.partition)) ?? null,
      })),
    }));
  }

  /** Offsets of every partition of `topic` (partition → offset), asking each partition's leader. */
  async listOffsets(topic: string, spec: OffsetSpec = 'latest'): Promise<Map<number, bigint>> {
    const metadata = await this.client.refreshMetadata([topic]);
    const state = metadata.topic(topic);
    if (!state || state.errorCode !== 0)
      throw new KafkaProtocolError(
        state?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `(topic ${topic})`,
      );
    const offsets = await this.offsetsFor(metadata, [topic], spec, true);
    return new Map(state.partitions.map((p) => [p.partition, offsets.get(key(topic, p.partition))!]));
  }

  /**
   * Per-topic config overrides (what was set on the topic, not broker defaults), from DescribeConfigs;
   * with `effective`, every value the topic runs with (defaults included). Topics the broker reports an
   * error for are left out.
   */
  async describeTopicConfigs(
    names: readonly string[],
    { effective = false }: { effective?: boolean } = {},
  ): Promise<Map<string, Record<string, string>>> {
    const result = new Map<string, Record<string, string>>();
    if (names.length === 0) return result;
    const connection = await this.client.anyConnection();
    const version = connection.versionOf(ApiKey.DescribeConfigs);
    if (version === undefined) return result;
    const response = await connection.request(ApiKey.DescribeConfigs, {
      resources: names.map((resourceName) => ({
        resourceType: TOPIC_RESOURCE,
        resourceName,
        configurationKeys: null,
      })),
      includeSynonyms: false,
    });
    for (const r of response.results) {
      if (r.errorCode !== 0) continue;
      const overrides: Record<string, string> = {};
      for (const c of r.configs) {
        const isOverride = version === 0 ? c.isDefault === false : c.configSource === DYNAMIC_TOPIC_CONFIG;
        if ((effective || isOverride) && c.value !== null && !c.isSensitive) overrides[c.name] = c.value;
      }
      result.set(r.resourceName, overrides);
    }
    return result;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * ListOffsets to each leader for its partitions. With `strict`, any partition error throws; otherwise
   * failed partitions are left out of the result (describe shows them as unknown).
   */
  private async offsetsFor(
    metadata: ClusterMetadata,
    topics: readonly string[],
    spec: OffsetSpec,
    strict = false,
  ): Promise<Map<string, bigint>> {
    const timestamp = spec === 'earliest' ? EARLIEST : spec === 'latest' ? LATEST : spec.timestamp;
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const topic of topics) {
      for (const p of metadata.topic(topic)?.partitions ?? []) {
        if (p.leader < 0) {
          if (strict)
            throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `(${topic}-${p.partition})`);
          continue;
        }
        const perTopic = byLeader.get(p.leader) ?? new Map<string, number[]>();
        perTopic.set(topic, [...(perTopic.get(topic) ?? []), p.partition]);
        byLeader.set(p.leader, perTopic);
      }
    }
    const offsets = new Map<string, bigint>();
    await Promise.all(
      [...byLeader].map(async ([leader, perTopic]) => {
        try {
          const connection = await this.client.connectionTo(leader);
          const response = await connection.request(ApiKey.ListOffsets, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [...perTopic].map(([name, partitions]) => ({
              name,
              partitions: partitions.map((partitionIndex) => ({
                partitionIndex,
                timestamp,
                currentLeaderEpoch: -1,
              })),
            })),
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== 0) {
                if (strict) throw new KafkaProtocolError(p.errorCode, `(${t.name}-${p.partitionIndex})`);
                continue;
              }
              offsets.set(key(t.name, p.partitionIndex), p.offset ?? -1n);
            }
          }
        } catch (error) {
          if (strict) throw error;
          log.warn({ leader, err: (error as Error).message }, 'list offsets failed');
        }
      }),
    );
    return offsets;
  }

  /** Runs an admin request against the controller, refreshing metadata and retrying on NOT_CONTROLLER. */
  private async withController(
    run: (connection: KafkaConnection) => Promise<TopicOperationResult[]>,
  ): Promise<TopicOperationResult[]> {
    for (let attempt = 0; ; attempt++) {
      const metadata = await this.client.refreshMetadata([]);
      const target = metadata.controllerOrAnyBroker();
      if (!target) throw new NoBrokersAvailableError('the cluster metadata lists no brokers');
      const results = await run(await this.client.pool.get(target));
      const notController = results.some((r) => r.error?.code === ErrorCode.NOT_CONTROLLER);
      if (!notController || attempt >= CONTROLLER_RETRIES) return results;
      log.debug({ broker: target.nodeId }, 'not the controller; refreshing metadata');
    }
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function result(name: string, code: number, message: string | null | undefined): TopicOperationResult {
  if (code === 0) return { name };
  const error = new KafkaProtocolError(code, message ? `(${message})` : `(topic ${name})`);
  return message ? { name, error, errorMessage: message } : { name, error };
}
