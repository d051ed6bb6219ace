import type { ConnectionPool } from '../client/connection-pool.js';
import { isRetriable } from '../client/client-errors.js';
import { componentLogger } from '../log/logger.js';
import { CompressionCodec } from '../protocol/compression.js';
import { ErrorCode, KafkaProtocolError, errorByCode } from '../protocol/errors.js';
import { ApiKey, type ProduceRequest, type ProduceResponse } from '../protocol/messages/index.js';
import type { BufferMemory } from './buffer-memory.js';
import type { ProducerBatch } from './producer-batch.js';
import { DeliveryTimeoutError } from './producer-errors.js';
import type { ProducerIdManager } from './producer-id.js';
import type { RetryListener } from './producer-options.js';
import type { ProducerRoutes } from './producer-routes.js';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator.js';
import { KeyedSerialQueue } from '../concurrency/serial-queue.js';

const log = componentLogger('producer-sender');

/** Kafka's limit for an idempotent producer: the broker remembers the last 5 batches per producer. */
export const MAX_IN_FLIGHT_PER_PARTITION_IDEMPOTENT = 5;
const MAX_SEQUENCE = 0x7fffffff;

export interface SenderConfig {
  acks: 0 | 1 | -1;
  compression: CompressionCodec;
  lingerMs: number;
  retries: number;
  retryBackoffMs: number;
  deliveryTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlightPerBroker: number;
  maxRequestSize: number;
}

/** What a sender works with (the producer builds it once its client is up). */
export interface SenderParts {
  config: SenderConfig;
  accumulator: RecordAccumulator;
  routes: ProducerRoutes;
  pool: ConnectionPool;
  memory: BufferMemory;
  /** Present when the producer is idempotent. */
  producerIds: ProducerIdManager | undefined;
  /** A batch was closed (the sticky partitioner moves on to another partition). */
  onBatchClosed: (topic: string, partition: number) => void;
  onRetry?: RetryListener;
}

/** Errors after which the partition's leader may have moved: re-read the routes. */
const STALE_ROUTE_CODES = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

/**
 * Moves ready batches from the accumulator to partition leaders: one Produce request per leader at a
 * time carries at most one batch per partition, up to `maxInFlightPerBroker` requests per broker.
 * Requests to one broker are written in the order their batches were numbered (one write chain per
 * broker), so an idempotent partition's batches reach the leader in sequence order. Retriable failures
 * put the batch back in sequence order; an idempotent partition then waits until its other in-flight
 * batches have answered and resends from the failed one, so a retry never overtakes.
 */
export class Sender {
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private flushing = 0;
  private readonly brokerInFlight = new Map<number, number>();
  /** Writes to one broker go out one at a time, in order (see send). */
  private readonly writes = new KeyedSerialQueue<number>();
  private waitingForIdentity = false;

  private readonly config: SenderConfig;
  private readonly accumulator: RecordAccumulator;
  private readonly routes: ProducerRoutes;
  private readonly pool: ConnectionPool;
  private readonly memory: BufferMemory;
  private readonly producerIds: ProducerIdManager | undefined;
  private readonly onBatchClosed: (topic: string, partition: number) => void;
  private readonly onRetry: RetryListener | undefined;

  constructor(parts: SenderParts) {
    ({
      config: this.config,
      accumulator: this.accumulator,
      routes: this.routes,
      pool: this.pool,
      memory: this.memory,
      producerIds: this.producerIds,
      onBatchClosed: this.onBatchClosed,
      onRetry: this.onRetry,
    } = parts);
    this.routes.on('change', () => this.wake());
  }

  /** Schedules a pass over the queues (coalesced: records appended in one tick share a pass). */
  wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  /** Sends everything without waiting for linger until the returned function is called. */
  beginFlush(): () => void {
    this.flushing++;
    this.wake();
    let ended = false;
    return () => {
      if (!ended) this.flushing--;
      ended = true;
    };
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    const now = Date.now();
    let nextAt = Infinity;
    const byLeader = new Map<number, PartitionQueue[]>();
    for (const queue of this.accumulator.allQueues()) {
      this.expire(queue, now);
      const readyAt = this.readyAt(queue, now);
      if (readyAt === undefined) continue;
      if (readyAt > now) {
        nextAt = Math.min(nextAt, readyAt);
        continue;
      }
      const { topic, partition } = queue.topicPartition;
      const leader = this.routes.cached(topic)?.leaders[partition] ?? -1;
      if (leader < 0 || !this.routes.brokerAddress(leader)) {
        this.routes.invalidate(topic);
        nextAt = Math.min(nextAt, now + this.config.retryBackoffMs);
        continue;
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(queue);
    }
    for (const [leader, queues] of byLeader) this.sendTo(leader, queues, now);
    // Expiry of waiting batches needs a look even when nothing is sendable.
    if (this.hasWaitingBatches())
      nextAt = Math.min(nextAt, now + Math.min(1000, this.config.deliveryTimeoutMs));
    this.armTimer(nextAt);
  }

  /** When the queue's first waiting batch may go (undefined: nothing to send or blocked). */
  private readyAt(queue: PartitionQueue, now: number): number | undefined {
    const head = queue.waiting[0];
    if (!head) return undefined;
    if (this.producerIds) {
      if (queue.draining) {
        if (queue.inFlight.length > 0) return undefined;
        queue.draining = false;
      }
      if (queue.inFlight.length >= MAX_IN_FLIGHT_PER_PARTITION_IDEMPOTENT) return undefined;
      if (!this.producerIds.current) {
        this.awaitIdentity();
        return undefined;
      }
    } else if (queue.inFlight.length > 0 && head.sent) {
      // A retried batch waits for its partition's other requests so retries keep their order.
      return undefined;
    }
    let at = head.retryAt;
    if (!head.closed && this.flushing === 0) at = Math.max(at, head.createdAt + this.config.lingerMs);
    return at > now ? at : now;
  }

  private sendTo(leader: number, queues: PartitionQueue[], now: number): void {
    while ((this.brokerInFlight.get(leader) ?? 0) < this.config.maxInFlightPerBroker) {
      const batches: Array<{ queue: PartitionQueue; batch: ProducerBatch }> = [];
      let size = 0;
      for (const queue of queues) {
        const readyAt = this.readyAt(queue, now);
        if (readyAt === undefined || readyAt > now) continue;
        const head = queue.waiting[0]!;
        if (batches.length > 0 && size + head.sizeBytes > this.config.maxRequestSize) continue;
        queue.waiting.shift();
        if (!head.closed) {
          head.closed = true;
          this.onBatchClosed(queue.topicPartition.topic, queue.topicPartition.partition);
        }
        this.assignSequence(queue, head);
        queue.inFlight.push(head);
        batches.push({ queue, batch: head });
        size += head.sizeBytes;
      }
      if (batches.length === 0) return;
      this.send(leader, batches);
    }
  }

  private assignSequence(queue: PartitionQueue, batch: ProducerBatch): void {
    const identity = this.producerIds?.current;
    if (!identity) return;
    if (queue.sequenceGeneration !== this.producerIds!.generation) {
      queue.sequenceGeneration = this.producerIds!.generation;
      queue.nextSequence = 0;
    }
    if (batch.sequenceGeneration === queue.sequenceGeneration && batch.baseSequence >= 0) return;
    batch.baseSequence = queue.nextSequence;
    batch.sequenceGeneration = queue.sequenceGeneration;
    batch.producerId = identity.producerId;
    batch.producerEpoch = identity.producerEpoch;
    batch.encoded = undefined;
    queue.nextSequence = (queue.nextSequence + batch.recordCount) % (MAX_SEQUENCE + 1);
  }

  private encode(batch: ProducerBatch): Buffer | Promise<Buffer> {
    if (batch.encoded) return batch.encoded;
    const codec = this.config.compression;
    if (codec === CompressionCodec.None) return (batch.encoded = batch.writer.assembleSync(batch, codec));
    return batch.writer.assemble(batch, codec).then((bytes) => (batch.encoded = bytes));
  }

  private send(leader: number, batches: Array<{ queue: PartitionQueue; batch: ProducerBatch }>): void {
    this.brokerInFlight.set(leader, (this.brokerInFlight.get(leader) ?? 0) + 1);
    for (const { batch } of batches) batch.attempts++;
    const encoded = batches.map(({ batch }) => this.encode(batch));
    let response!: Promise<ProduceResponse | null>;
    // Only the write is chained; responses are awaited concurrently (pipelining).
    const written = this.writes.run(leader, async () => {
      const records = await Promise.all(encoded);
      const address = this.routes.brokerAddress(leader);
      if (!address)
        throw new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `(broker ${leader} is gone)`);
      const connection = await this.pool.get(address);
      const body = produceBody(this.config, batches, records);
      for (const { batch } of batches) batch.sent = true;
      if (this.config.acks === 0) {
        response = connection.send(ApiKey.Produce, body).then(() => null);
      } else {
        response = connection.request(ApiKey.Produce, body, {
          timeoutMs: this.config.requestTimeoutMs + 5_000,
        });
      }
    });
    written
      .then(() => response)
      .then(
        (body) => this.onResponse(leader, batches, body, undefined),
        (error: unknown) => this.onResponse(leader, batches, null, error as Error),
      )
      .catch((error: unknown) => log.error({ err: error }, 'produce response handling failed'));
  }

  private onResponse(
    leader: number,
    batches: Array<{ queue: PartitionQueue; batch: ProducerBatch }>,
    body: ProduceResponse | null,
    error: Error | undefined,
  ): void {
    this.brokerInFlight.set(leader, (this.brokerInFlight.get(leader) ?? 1) - 1);
    for (const { queue, batch } of batches) {
      if (error) {
        this.onFailure(queue, batch, error, isRetriable(error));
        continue;
      }
      if (!body) {
        this.onSuccess(queue, batch, -1n);
        continue;
      }
      const { topic, partition } = queue.topicPartition;
      const answer = body.responses
        .find((t) => t.name === topic)
        ?.partitionResponses.find((p) => p.index === partition);
      if (!answer) {
        this.onFailure(queue, batch, new Error(`no produce response for ${topic}-${partition}`), true);
        continue;
      }
      if (answer.errorCode === 0) this.onSuccess(queue, batch, answer.baseOffset);
      else if (answer.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) this.onSuccess(queue, batch, -1n);
      else {
        const failure = new KafkaProtocolError(answer.errorCode, answer.errorMessage ?? undefined);
        this.onFailure(queue, batch, failure, this.retriableCode(queue, batch, answer.errorCode));
      }
    }
    this.wake();
  }

  /**
   * OUT_OF_ORDER_SEQUENCE_NUMBER is expected (and retriable) for batches behind one that failed, or
   * numbered under an older producer id: they are resent in order once the earlier batch is through.
   */
  private retriableCode(queue: PartitionQueue, batch: ProducerBatch, code: number): boolean {
    if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && this.producerIds) {
      if (batch.sequenceGeneration !== this.producerIds.generation) return true;
      return [...queue.inFlight, ...queue.waiting].some((b) => b !== batch && b.id < batch.id);
    }
    return errorByCode(code)?.retriable ?? false;
  }

  private onSuccess(queue: PartitionQueue, batch: ProducerBatch, baseOffset: bigint): void {
    this.accumulator.complete(queue, batch);
    if (batch.isSettled) return;
    batch.succeed(baseOffset);
    this.memory.release(batch.sizeBytes);
  }

  private onFailure(queue: PartitionQueue, batch: ProducerBatch, error: Error, retriable: boolean): void {
    const now = Date.now();
    const { topic } = queue.topicPartition;
    const code = error instanceof KafkaProtocolError ? error.code : -1;
    if (code === -1 || STALE_ROUTE_CODES.has(code)) this.routes.invalidate(topic);
    if (
      retriable &&
      batch.attempts <= this.config.retries &&
      now - batch.createdAt < this.config.deliveryTimeoutMs
    ) {
      log.debug(
        { topic, partition: queue.topicPartition.partition, err: error.message, attempt: batch.attempts },
        'retrying batch',
      );
      this.onRetry?.({ topic, partition: queue.topicPartition.partition, attempt: batch.attempts, error });
      batch.retryAt = now + this.config.retryBackoffMs;
      this.accumulator.requeue(queue, batch);
      if (this.producerIds) queue.draining = true;
      return;
    }
    this.accumulator.complete(queue, batch);
    this.settleFailed(
      batch,
      retriable ? new DeliveryTimeoutError(this.config.deliveryTimeoutMs, { cause: error }) : error,
    );
  }

  private settleFailed(batch: ProducerBatch, error: Error): void {
    if (batch.isSettled) return;
    const { topic, partition } = batch.topicPartition;
    log.warn({ topic, partition, records: batch.recordCount, err: error.message }, 'batch not delivered');
    batch.fail(error);
    this.memory.release(batch.sizeBytes);
    // Its sequence numbers are spent (or its fate unknown): later batches need a fresh numbering.
    if (this.producerIds && batch.sent) this.producerIds.reset();
  }

  /** Fails waiting batches older than delivery.timeout.ms. */
  private expire(queue: PartitionQueue, now: number): void {
    while (queue.waiting.length > 0 && now - queue.waiting[0]!.createdAt >= this.config.deliveryTimeoutMs) {
      const batch = queue.waiting.shift()!;
      if (!batch.closed) {
        batch.closed = true;
        this.onBatchClosed(queue.topicPartition.topic, queue.topicPartition.partition);
      }
      this.settleFailed(batch, new DeliveryTimeoutError(this.config.deliveryTimeoutMs));
    }
  }

  private hasWaitingBatches(): boolean {
    for (const queue of this.accumulator.allQueues()) if (queue.waiting.length > 0) return true;
    return false;
  }

  private awaitIdentity(): void {
    if (this.waitingForIdentity || !this.producerIds) return;
    this.waitingForIdentity = true;
    this.producerIds.ensure().then(
      () => {
        this.waitingForIdentity = false;
        this.wake();
      },
      (error: unknown) => {
        this.waitingForIdentity = false;
        // Without an identity nothing can be sent: fail what waits rather than hang.
        for (const queue of this.accumulator.allQueues())
          for (const batch of queue.waiting.splice(0)) this.settleFailed(batch, error as Error);
      },
    );
  }

  private armTimer(at: number): void {
    if (at === Infinity) return;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.drain();
      },
      Math.max(0, at - Date.now()),
    );
  }
}

function produceBody(
  config: SenderConfig,
  batches: Array<{ queue: PartitionQueue; batch: ProducerBatch }>,
  records: Buffer[],
): ProduceRequest {
  const topics = new Map<string, ProduceRequest['topicData'][number]>();
  batches.forEach(({ queue }, i) => {
    const { topic, partition } = queue.topicPartition;
    let entry = topics.get(topic);
    if (!entry) topics.set(topic, (entry = { name: topic, partitionData: [] }));
    entry.partitionData.push({ index: partition, records: records[i]! });
  });
  return {
    transactionalId: null,
    acks: config.acks,
    timeoutMs: config.requestTimeoutMs,
    topicData: [...topics.values()],
  };
}
