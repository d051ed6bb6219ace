import type { TopicPartition } from '../protocol/topic-partition.js';
import { RecordsWriter } from './records-writer.js';

/** Where an acknowledged record landed. Offset is -1 with acks=0 (the broker does not answer). */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: bigint;
}

/** Called once per record: with an error, or with where it landed. */
export type DeliveryCallback = (error: Error | null, metadata: RecordMetadata | null) => void;

let nextBatchId = 0;

/**
 * Records for one partition that travel together as one magic-2 record batch (encoded as they are
 * appended). Once a sequence is assigned (idempotent producer) the encoded bytes are kept, so a retry
 * resends exactly the same batch and the broker can recognise it as a duplicate.
 */
export class ProducerBatch {
  /** Creation order: within a partition, the order batches must be written in. */
  readonly id = nextBatchId++;
  /** Settles (never rejects) when every record of the batch is acknowledged or has failed. */
  readonly done: Promise<void>;
  private markDone!: () => void;
  readonly writer: RecordsWriter;
  /** Callbacks and the record index each belongs to (records sent without one take no space). */
  private readonly callbacks: DeliveryCallback[] = [];
  private readonly callbackIndexes: number[] = [];
  sizeBytes = 0;
  /** No more records are added (full, or taken for sending). */
  closed = false;
  attempts = 0;
  /** Not to be sent before this time (retry backoff). */
  retryAt = 0;
  baseSequence = -1;
  /** Which numbering of the partition's sequences `baseSequence` belongs to. */
  sequenceGeneration = -1;
  producerId = -1n;
  producerEpoch = -1;
  encoded: Buffer | undefined;
  /** The batch was written to a broker at least once (its fate may be unknown after a failure). */
  sent = false;
  private settled = false;

  constructor(
    readonly topicPartition: TopicPartition,
    readonly createdAt: number,
    initialBytes: number,
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
    this.writer = new RecordsWriter(createdAt, initialBytes);
  }

  addCallback(callback: DeliveryCallback): void {
    this.callbacks.push(callback);
    this.callbackIndexes.push(this.writer.count - 1);
  }

  get recordCount(): number {
    return this.writer.count;
  }

  get isSettled(): boolean {
    return this.settled;
  }

  succeed(baseOffset: bigint): void {
    if (this.settled) return;
    this.settled = true;
    const { topic, partition } = this.topicPartition;
    for (let i = 0; i < this.callbacks.length; i++) {
      const offset = baseOffset < 0n ? -1n : baseOffset + BigInt(this.callbackIndexes[i]!);
      this.callbacks[i]!(null, { topic, partition, offset });
    }
    this.markDone();
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    for (const callback of this.callbacks) callback(error, null);
    this.markDone();
  }
}
