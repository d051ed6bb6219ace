import { ZooKeeperBrokerDiscovery } from '../client/broker-discovery.js';
import { KafkaClient } from '../client/kafka-client.js';
import { componentLogger } from '../log/logger.js';
import type { RecordHeader } from '../protocol/record-batch.js';
import { BufferMemory } from './buffer-memory.js';
import { MetadataRoutes } from './metadata-routes.js';
import { DefaultPartitioner, type Partitioner } from './partitioner.js';
import type { DeliveryCallback, RecordMetadata } from './producer-batch.js';
import { InvalidRecordError, ProducerClosedError } from './producer-errors.js';
import { ProducerIdManager } from './producer-id.js';
import {
  resolveProducerOptions,
  type ProducerOptions,
  type ResolvedProducerOptions,
} from './producer-options.js';
import type { ProducerRoutes, TopicRoute } from './producer-routes.js';
import { RecordAccumulator, type EncodedRecord } from './record-accumulator.js';
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
  /** Records accepted by produce() still waiting for a route or for buffer memory. */
  private pendingRecords = 0;
  private readonly pendingDrained: Array<() => void> = [];

  constructor(private readonly config: ProducerOptions) {
    this.options = resolveProducerOptions(config);
    const sources =
      (config.zookeeper !== undefined ? 1 : 0) + (config.bootstrapServers !== undefined ? 1 : 0);
    if (sources !== 1) throw new Error('give exactly one of zookeeper and bootstrapServers');
    this.partitioner = config.partitioner ?? new DefaultPartitioner();
    this.memory = new BufferMemory(this.options.bufferMemory);
    this.accumulator = new RecordAccumulator(this.options.batchSize);
  }

  /**
   * Connects (ZooKeeper or bootstrap), checks that a broker answers (NoBrokersAvailableError if none
   * does) and, when idempotent, obtains a producer id. Optional: send() starts everything lazily.
   */
  async connect(): Promise<void> {
    const running = await this.start();
    await running.client.anyConnection();
    await running.producerIds?.ensure();
  }

  /** Loads a topic's partitions and leaders; throws UnknownTopicError if it does not exist. */
  async partitionsFor(topic: string): Promise<TopicRoute> {
    return (await this.start()).routes.load(topic);
  }

  /** True when a send() now would not wait for buffer memory. */
  get hasRoom(): boolean {
    return this.pendingRecords === 0 && this.memory.hasRoom;
  }

  /** Resolves when some buffer memory is free again. */
  async whenRoom(): Promise<void> {
    while (!this.hasRoom) {
      // Records already waiting (for memory or a route) go first.
      if (this.pendingRecords > 0) await new Promise<void>((resolve) => this.pendingDrained.push(resolve));
      else {
        await this.memory.reserve(1);
        this.memory.release(1);
      }
    }
  }

  /** Sends a record; resolves with its partition and offset once acknowledged. */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise((resolve, reject) =>
      this.produce(record, (error, metadata) => (error ? reject(error) : resolve(metadata!))),
    );
  }

  /**
   * The callback form of send() (librdkafka's produce + delivery report): no promise per record, so
   * high-rate callers pay less. Without a callback the record is fire-and-forget (errors are logged);
   * `flush()` still waits for it.
   */
  produce(record: ProducerRecord, callback?: DeliveryCallback): void {
    if (this.closed) {
      report(callback, new ProducerClosedError());
      return;
    }
    const route = this.running?.routes.cached(record.topic);
    if (route) {
      const encoded = encodeRecord(record);
      if (this.memory.tryReserve(encoded.bytes)) {
        try {
          this.append(record, route, encoded, callback);
        } catch (error) {
          this.memory.release(encoded.bytes);
          report(callback, error as Error);
        }
        return;
      }
      // Queue for memory now (in order), so hasRoom turns false at once.
      this.pendingRecords++;
      this.memory.reserve(encoded.bytes).then(
        () => {
          this.pendingDone();
          this.appendReserved(record, encoded, callback);
        },
        (error: unknown) => {
          this.pendingDone();
          report(callback, error as Error);
        },
      );
      return;
    }
    this.pendingRecords++;
    this.produceSlowly(record, callback)
      .catch((error: unknown) => report(callback, error as Error))
      .finally(() => this.pendingDone());
  }

  /**
   * Sends every buffered record now (ignoring linger) and resolves when all records produced before
   * the call have been answered (acknowledged or failed). Records produced meanwhile are not waited for.
   */
  async flush(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    // Records still waiting for a route or memory belong to this flush too.
    if (this.pendingRecords > 0) await new Promise<void>((resolve) => this.pendingDrained.push(resolve));
    if (!this.running) return;
    const end = this.running.sender.beginFlush();
    try {
      const pending = [...this.accumulator.unsettledBatches()].filter((b) => !b.isSettled);
      await Promise.all(pending.map((b) => b.done));
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

  private pendingDone(): void {
    this.pendingRecords--;
    if (this.pendingRecords === 0) for (const resolve of this.pendingDrained.splice(0)) resolve();
  }

  private async produceSlowly(record: ProducerRecord, callback: DeliveryCallback | undefined): Promise<void> {
    const running = await this.start();
    await running.routes.load(record.topic);
    const encoded = encodeRecord(record);
    await this.memory.reserve(encoded.bytes);
    this.appendReserved(record, encoded, callback);
  }

  /** Appends a record whose memory is already reserved (releasing it if the record is refused). */
  private appendReserved(
    record: ProducerRecord,
    encoded: EncodedRecord,
    callback: DeliveryCallback | undefined,
  ): void {
    const route = this.running?.routes.cached(record.topic);
    try {
      if (this.closed) throw new ProducerClosedError();
      if (!route) throw new InvalidRecordError(`topic ${record.topic} is no longer known`);
      this.append(record, route, encoded, callback);
    } catch (error) {
      this.memory.release(encoded.bytes);
      report(callback, error as Error);
    }
  }

  private append(
    record: ProducerRecord,
    route: TopicRoute,
    encoded: EncodedRecord,
    callback: DeliveryCallback | undefined,
  ): void {
    const partition =
      record.partition ??
      this.partitioner.partition({
        topic: record.topic,
        key: encoded.key,
        partitionCount: route.partitionCount,
        availablePartitions: route.available,
      });
    if (!Number.isInteger(partition) || partition < 0 || partition >= route.partitionCount) {
      throw new InvalidRecordError(
        `partition ${partition} does not exist: topic ${record.topic} has ${route.partitionCount}`,
      );
    }
    const now = Date.now();
    const outcome = this.accumulator.append({
      topic: record.topic,
      partition,
      record: encoded,
      timestamp: record.timestamp ?? now,
      callback,
      now,
    });
    if (outcome.closedPrevious || outcome.full) this.partitioner.onBatchClosed?.(record.topic, partition);
    if (outcome.newBatch || outcome.full) this.running!.sender.wake();
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
      ...(this.config.connectTimeoutMs !== undefined
        ? { connectTimeoutMs: this.config.connectTimeoutMs }
        : {}),
    });
    try {
      const routes =
        client.discovery instanceof ZooKeeperBrokerDiscovery
          ? await ZooKeeperRoutes.start(client.discovery, options.retryBackoffMs)
          : new MetadataRoutes(client, options.retryBackoffMs);
      const producerIds = options.idempotent
        ? new ProducerIdManager(client, options.retryBackoffMs, options.deliveryTimeoutMs)
        : undefined;
      const sender = new Sender({
        config: options,
        accumulator: this.accumulator,
        routes,
        pool: client.pool,
        memory: this.memory,
        producerIds,
        onBatchClosed: (topic, partition) => this.partitioner.onBatchClosed?.(topic, partition),
        onRetry: this.config.onRetry,
      });
      log.debug({ source: client.discovery.description, idempotent: options.idempotent }, 'producer started');
      return { client, routes, sender, producerIds };
    } catch (error) {
      await client.close();
      throw error;
    }
  }
}

function encodeRecord(record: ProducerRecord): EncodedRecord {
  const key = toBytes(record.key);
  const value = toBytes(record.value);
  const headers = record.headers === undefined ? undefined : toHeaders(record.headers);
  return { key, value, headers, bytes: recordBytes(key, value, headers) };
}

function toBytes(value: RecordBytes | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function toHeaders(headers: NonNullable<ProducerRecord['headers']>): RecordHeader[] {
  const list: RecordHeader[] = [];
  if (Array.isArray(headers)) {
    for (const h of headers as ReadonlyArray<{ key: string; value: RecordBytes }>)
      list.push({ key: h.key, value: toBytes(h.value) });
  } else {
    for (const [key, value] of Object.entries(headers)) list.push({ key, value: toBytes(value) });
  }
  return list;
}

function recordBytes(key: Buffer | null, value: Buffer | null, headers: RecordHeader[] | undefined): number {
  let size = RECORD_OVERHEAD + (key?.length ?? 0) + (value?.length ?? 0);
  if (headers) for (const h of headers) size += 8 + h.key.length * 3 + (h.value?.length ?? 0);
  return size;
}

function report(callback: DeliveryCallback | undefined, error: Error): void {
  if (callback) callback(error, null);
  else log.warn({ err: error.message }, 'record not delivered');
}
