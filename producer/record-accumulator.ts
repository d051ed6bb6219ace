import type { TopicPartition } from '../protocol/topic-partition.js';
import type { RecordHeader } from '../protocol/record-batch.js';
import { ProducerBatch, type DeliveryCallback } from './producer-batch.js';

/** One partition's batches: waiting to be sent (in order) and in flight (in sequence order). */
export interface PartitionQueue {
  readonly topicPartition: TopicPartition;
  readonly waiting: ProducerBatch[];
  readonly inFlight: ProducerBatch[];
  /** Idempotence: the sequence the next new batch gets, and which numbering it belongs to. */
  nextSequence: number;
  sequenceGeneration: number;
  /**
   * Idempotence: a batch failed and went back to `waiting`; nothing more is sent until every in-flight
   * batch has answered, then the queue resends from the failed batch on, in sequence order.
   */
  draining: boolean;
  /** Encoded size of the partition's last batch: the next one starts with that much room. */
  lastBatchBytes: number;
}

/** A record in bytes, as the accumulator takes it; its memory is already reserved. */
export interface EncodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[] | undefined;
  /** What it counts for in the batch size and the producer's buffer memory. */
  bytes: number;
}

export interface AccumulatorAppend {
  topic: string;
  partition: number;
  record: EncodedRecord;
  timestamp: number;
  /** Told the outcome once the record's batch is acknowledged or fails. */
  callback: DeliveryCallback | undefined;
  /** The clock reading a new batch starts its linger from. */
  now: number;
}

export interface AppendOutcome {
  /** The record started a new batch (the previous one, if any, was closed). */
  newBatch: boolean;
  /** The batch the record went into is now full: ready to send. */
  full: boolean;
  /** A previous open batch that this append closed. */
  closedPrevious: boolean;
}

/**
 * Collects records into per-partition batches of at most `batchSize` bytes (a single larger record
 * gets a batch of its own). Only the last waiting batch of a partition is open for appends.
 */
export class RecordAccumulator {
  private readonly queues = new Map<string, Map<number, PartitionQueue>>();

  constructor(private readonly batchSize: number) {}

  queue(topic: string, partition: number): PartitionQueue {
    let byPartition = this.queues.get(topic);
    if (!byPartition) this.queues.set(topic, (byPartition = new Map()));
    let queue = byPartition.get(partition);
    if (!queue) {
      queue = {
        topicPartition: { topic, partition },
        waiting: [],
        inFlight: [],
        nextSequence: 0,
        sequenceGeneration: 0,
        draining: false,
        lastBatchBytes: 16 * 1024,
      };
      byPartition.set(partition, queue);
    }
    return queue;
  }

  append({ topic, partition, record, timestamp, callback, now }: AccumulatorAppend): AppendOutcome {
    const { key, value, headers, bytes } = record;
    const queue = this.queue(topic, partition);
    const last = queue.waiting[queue.waiting.length - 1];
    let batch = last;
    let closedPrevious = false;
    if (!batch || batch.closed || batch.sizeBytes + bytes > this.batchSize) {
      if (batch && !batch.closed) {
        batch.closed = true;
        closedPrevious = true;
      }
      if (batch) queue.lastBatchBytes = batch.writer.byteLength;
      batch = new ProducerBatch(
        queue.topicPartition,
        now,
        Math.min(this.batchSize + bytes, Math.max(bytes * 2, queue.lastBatchBytes + 1024)),
      );
      queue.waiting.push(batch);
    }
    const newBatch = batch !== last;
    batch.writer.append(key, value, headers, timestamp);
    batch.sizeBytes += bytes;
    if (callback) batch.addCallback(callback);
    const full = batch.sizeBytes >= this.batchSize;
    if (full) batch.closed = true;
    return { newBatch, full, closedPrevious };
  }

  *allQueues(): Generator<PartitionQueue> {
    for (const byPartition of this.queues.values()) yield* byPartition.values();
  }

  /** Every batch not yet acknowledged (waiting or in flight). */
  *unsettledBatches(): Generator<ProducerBatch> {
    for (const queue of this.allQueues()) {
      yield* queue.inFlight;
      yield* queue.waiting;
    }
  }

  /** Puts a batch that must be retried back among the waiting ones, in sequence (or arrival) order. */
  requeue(queue: PartitionQueue, batch: ProducerBatch): void {
    const index = queue.inFlight.indexOf(batch);
    if (index >= 0) queue.inFlight.splice(index, 1);
    let at = 0;
    while (at < queue.waiting.length && queue.waiting[at]!.id < batch.id) at++;
    queue.waiting.splice(at, 0, batch);
  }

  /** Removes an acknowledged (or finally failed) batch from its queue's in-flight list. */
  complete(queue: PartitionQueue, batch: ProducerBatch): void {
    const index = queue.inFlight.indexOf(batch);
    if (index >= 0) queue.inFlight.splice(index, 1);
  }
}
