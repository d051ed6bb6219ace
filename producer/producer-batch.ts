import type { TopicPartition } from '../coordinator/zk-paths.js';
import type { RecordInput } from '../protocol/record-batch.js';

/** Where an acknowledged record landed. Offset is -1 with acks=0 (the broker does not answer). */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: bigint;
}

interface Delivery {
  resolve(metadata: RecordMetadata): void;
  reject(error: Error): void;
}

/**
 * Records for one partition that travel together as one magic-2 record batch. Once a sequence is
 * assigned (idempotent producer) the encoded bytes are kept, so a retry resends exactly the same batch
 * and the broker can recognise it as a duplicate.
 */
let nextBatchId = 0;

export class ProducerBatch {
  /** Creation order: within a partition, the order batches must be written in. */
  readonly id = nextBatchId++;
  /** Settles (never rejects) when every record of the batch is acknowledged or has failed. */
  readonly done: Promise<void>;
  private markDone!: () => void;
  readonly records: RecordInput[] = [];
  private readonly deliveries: Delivery[] = [];
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
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  add(record: RecordInput, bytes: number, delivery: Delivery): void {
    this.records.push(record);
    this.deliveries.push(delivery);
    this.sizeBytes += bytes;
  }

  get recordCount(): number {
    return this.records.length;
  }

  get isSettled(): boolean {
    return this.settled;
  }

  succeed(baseOffset: bigint): void {
    if (this.settled) return;
    this.settled = true;
    const { topic, partition } = this.topicPartition;
    for (let i = 0; i < this.deliveries.length; i++) {
      this.deliveries[i]!.resolve({
        topic,
        partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
      });
    }
    this.markDone();
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    for (const delivery of this.deliveries) delivery.reject(error);
    this.markDone();
  }
}
