import { ZooKeeperBrokerDiscovery } from '../client/broker-discovery.js';
import { KafkaClient } from '../client/kafka-client.js';
import { componentLogger } from '../log/logger.js';
import type { RecordHeader, RecordInput } from '../protocol/record-batch.js';
import { BufferMemory } from './buffer-memory.js';
import { MetadataRoutes } from './metadata-routes.js';
import { DefaultPartitioner, type Partitioner } from './partitioner.js';
import type { RecordMetadata } from './producer-batch.js';
import { InvalidRecordError, ProducerClosedError } from './producer-errors.js';
import { ProducerIdManager } from './producer-id.js';
import {
  resolveProducerOptions,
  type ProducerOptions,
  type ResolvedProducerOptions,
} from './producer-options.js';
import type { ProducerRoutes, TopicRoute } from './producer-routes.js';
import { RecordAccumulator } from './record-accumulator.js';
import { Sender } from './sender.js';
import { ZooKeeperRoutes } from './zookeeper-routes.js';

const log = componentLogger('producer');

export type RecordBytes = Buffer | string | null;

/** A record to send. Strings are UTF-8 encoded. */
export interface ProducerRecord {
  topic: string;
  key?: RecordBytes;
  value: RecordBytes;
  /** As a list (repeats allowed, order kept) or an object. */
  headers?: ReadonlyArray<{ key: string; value: RecordBytes }> | Readonly<Record<string, RecordBytes>>;
  /** Explicit partition; otherwise the partitioner picks one. */
  partition?: number;
  /** Create time in ms; default the batch's creation time. */
  timestamp?: number;
}

/** Per-record bytes beyond key, value and headers (record framing, varints), for buffer accounting. */
const RECORD_OVERHEAD = 24;

interface Running {
  client: KafkaClient;
  routes: ProducerRoutes;
  sender: Sender;
  producerIds: ProducerIdManager | undefined;
}

/**
 * The sluice producer. `send()` resolves with the record's partition and offset once the broker has
 * acknowledged it (per `acks`); records are batched per partition, sent to partition leaders found in
 * ZooKeeper (or through Metadata), retried on retriable errors and leader moves, and — idempotent by
 * default — de-duplicated by the broker, so retries neither duplicate nor reorder.
 *
 * Back-pressure: when `bufferMemory` bytes are unacknowledged, `send()` waits (in order) for room;
 * streaming callers can check `hasRoom` / await `whenRoom()` to stop reading input meanwhile.
 */
export class Producer {
  readonly options: ResolvedProducerOptions;
  private readonly partitioner: Partitioner;
  private readonly memory: BufferMemory;
  private readonly accumulator: RecordAccumulator;
  private starting: Promise<Running> | undefined;
  private running: Running | undefined;
  private closed = false;

  constructor(private readonly config: ProducerOptions) {
    this.options = resolveProducerOptions(config);
    const sources =
      (config.zookeeper !== undefined ? 1 : 0) + (config.bootstrapServers !== undefined ? 1 : 0);
    if (sources !== 1) throw new Error('give exactly one of zookeeper and bootstrapServers');
    this.partitioner = config.partitioner ?? new DefaultPartitioner();
    this.memory = new BufferMemory(this.options.bufferMemory);
    this.accumulator = new RecordAccumulator(this.options.batchSize);
  }

  /** Connects (ZooKeeper or bootstrap) and, when idempotent, obtains a producer id. Optional: send() does it. */
  async connect(): Promise<void> {
    const running = await this.start();
    await running.producerIds?.ensure();
  }

  /** Loads a topic's partitions and leaders; throws UnknownTopicError if it does not exist. */
  async partitionsFor(topic: string): Promise<TopicRoute> {
    return (await this.start()).routes.load(topic);
  }

  /** True when a send() now would not wait for buffer memory. */
  get hasRoom(): boolean {
    return this.memory.hasRoom;
  }

  /** Resolves when some buffer memory is free again. */
  async whenRoom(): Promise<void> {
    if (this.memory.hasRoom) return;
    await this.memory.reserve(1);
    this.memory.release(1);
  }

  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    const route = this.running?.routes.cached(record.topic);
    if (route) {
      const input = toRecordInput(record);
      const bytes = recordBytes(input);
      if (this.memory.tryReserve(bytes)) {
        try {
          return this.append(record, route, input, bytes);
        } catch (error) {
          this.memory.release(bytes);
          return Promise.reject(error as Error);
        }
      }
    }
    return this.sendSlowly(record);
  }

  /** Sends every buffered record now (ignoring linger) and resolves when all have been answered. */
  async flush(): Promise<void> {
    if (!this.running) return;
    const end = this.running.sender.beginFlush();
    try {
      for (;;) {
        const pending = [...this.accumulator.unsettledBatches()].filter((b) => !b.isSettled);
        if (pending.length === 0) return;
        await Promise.all(pending.map((b) => b.done));
      }
    } finally {
      end();
    }
  }

  /** Flushes, then closes connections and the ZooKeeper session. Further sends fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.memory.rejectWaiters(new ProducerClosedError());
      const running = this.running ?? (await this.starting?.catch(() => undefined));
      if (running) {
        running.sender.stop();
        await running.routes.close();
        await running.client.close();
      }
    }
  }

  private async sendSlowly(record: ProducerRecord): Promise<RecordMetadata> {
    const running = await this.start();
    const route = await running.routes.load(record.topic);
    const input = toRecordInput(record);
    const bytes = recordBytes(input);
    await this.memory.reserve(bytes);
    if (this.closed) {
      this.memory.release(bytes);
      throw new ProducerClosedError();
    }
    try {
      return await this.append(record, running.routes.cached(record.topic) ?? route, input, bytes);
    } catch (error) {
      this.memory.release(bytes);
      throw error;
    }
  }

  private append(
    record: ProducerRecord,
    route: TopicRoute,
    input: RecordInput,
    bytes: number,
  ): Promise<RecordMetadata> {
    const partition =
      record.partition ??
      this.partitioner.partition({
        topic: record.topic,
        key: input.key,
        partitionCount: route.partitionCount,
        availablePartitions: route.available,
      });
    if (!Number.isInteger(partition) || partition < 0 || partition >= route.partitionCount) {
      throw new InvalidRecordError(
        `partition ${partition} does not exist: topic ${record.topic} has ${route.partitionCount}`,
      );
    }
    const sender = this.running!.sender;
    return new Promise<RecordMetadata>((resolve, reject) => {
      const outcome = this.accumulator.append(
        record.topic,
        partition,
        input,
        bytes,
        resolve,
        reject,
        Date.now(),
      );
      if (outcome.closedPrevious) this.partitioner.onBatchClosed?.(record.topic, partition);
      if (outcome.full) this.partitioner.onBatchClosed?.(record.topic, partition);
      if (outcome.newBatch || outcome.full) sender.wake();
    });
  }

  private start(): Promise<Running> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    this.starting ??= this.open().then((running) => (this.running = running));
    return this.starting;
  }

  private async open(): Promise<Running> {
    const { options } = this;
    const client = await KafkaClient.create({
      ...(this.config.zookeeper !== undefined
        ? { zookeeper: this.config.zookeeper }
        : { bootstrapServers: this.config.bootstrapServers! }),
      clientId: this.config.clientId ?? 'sluice-producer',
      requestTimeoutMs: options.requestTimeoutMs,
    });
    try {
      const routes =
        client.discovery instanceof ZooKeeperBrokerDiscovery
          ? await ZooKeeperRoutes.start(client.discovery, options.retryBackoffMs)
          : new MetadataRoutes(client, options.retryBackoffMs);
      const producerIds = options.idempotent
        ? new ProducerIdManager(client, options.retryBackoffMs, options.deliveryTimeoutMs)
        : undefined;
      const sender = new Sender(
        options,
        this.accumulator,
        routes,
        client.pool,
        this.memory,
        producerIds,
        (topic, partition) => this.partitioner.onBatchClosed?.(topic, partition),
      );
      log.debug({ source: client.discovery.description, idempotent: options.idempotent }, 'producer started');
      return { client, routes, sender, producerIds };
    } catch (error) {
      await client.close();
      throw error;
    }
  }
}

function toBytes(value: RecordBytes | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function toRecordInput(record: ProducerRecord): RecordInput {
  const input: RecordInput = { key: toBytes(record.key), value: toBytes(record.value) };
  if (record.headers !== undefined) {
    const list: RecordHeader[] = [];
    if (Array.isArray(record.headers)) {
      for (const h of record.headers as ReadonlyArray<{ key: string; value: RecordBytes }>)
        list.push({ key: h.key, value: toBytes(h.value) });
    } else {
      for (const [key, value] of Object.entries(record.headers)) list.push({ key, value: toBytes(value) });
    }
    input.headers = list;
  }
  if (record.timestamp !== undefined) input.timestamp = BigInt(record.timestamp);
  return input;
}

function recordBytes(input: RecordInput): number {
  let size = RECORD_OVERHEAD + (input.key?.length ?? 0) + (input.value?.length ?? 0);
  if (input.headers) for (const h of input.headers) size += 8 + h.key.length * 3 + (h.value?.length ?? 0);
  return size;
}
