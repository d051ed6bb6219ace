import { KafkaAdmin } from '../client/admin.js';
import { ZooKeeperBrokerDiscovery } from '../client/broker-discovery.js';
import { KafkaClient } from '../client/kafka-client.js';
import { KafkaProtocolError, ErrorCode } from '../protocol/errors.js';
import type { TopicPartition } from '../protocol/topic-partition.js';
import { FetchManager, type ConsumedRecord, type FetchOptions } from './fetch-manager.js';

/** Where a PartitionReader starts: an absolute offset, or the log's start or end. */
export type StartOffset = bigint | 'earliest' | 'latest';

export interface PartitionReaderOptions extends FetchOptions {
  zookeeper: string;
  tp: TopicPartition;
  start: StartOffset;
  clientId?: string;
}

/**
 * One partition read without a group (Kafka's `assign()`): no membership, no committed offsets. An
 * absolute start outside the log starts at the log's start (Kafka's auto.offset.reset=earliest for the
 * console consumer with --offset).
 */
export class PartitionReader {
  private constructor(
    private readonly client: KafkaClient,
    private readonly fetcher: FetchManager,
    readonly tp: TopicPartition,
  ) {}

  static async open(options: PartitionReaderOptions): Promise<PartitionReader> {
    const discovery = await ZooKeeperBrokerDiscovery.connect(options.zookeeper);
    const clientId = options.clientId ?? 'sluice-partition-reader';
    const client = new KafkaClient(discovery, { clientId });
    try {
      const admin = new KafkaAdmin(client);
      const { tp } = options;
      const offsetOf = async (spec: 'earliest' | 'latest') => {
        const offset = (await admin.listOffsets(tp.topic, spec)).get(tp.partition);
        if (offset === undefined)
          throw new KafkaProtocolError(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            `(partition ${tp.partition} of ${tp.topic})`,
          );
        return offset;
      };
      let start = typeof options.start === 'bigint' ? options.start : await offsetOf(options.start);
      if (typeof options.start === 'bigint') {
        const [earliest, latest] = [await offsetOf('earliest'), await offsetOf('latest')];
        if (start < earliest || start > latest) start = earliest;
      }
      const fetcher = new FetchManager(client, () => offsetOf('earliest'), options, { clientId });
      fetcher.assign(tp, start);
      return new PartitionReader(client, fetcher, tp);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** The next fetched records (in offset order), or [] after `waitMs` without any. */
  async next(waitMs: number): Promise<ConsumedRecord[]> {
    const batch = this.fetcher.takeBatch();
    if (batch) return batch.records;
    await this.fetcher.waitForRecords(waitMs);
    return this.fetcher.takeBatch()?.records ?? [];
  }

  /** Wakes a pending next() (it returns what it has). */
  interrupt(): void {
    this.fetcher.interruptWaiters();
  }

  async close(): Promise<void> {
    await this.fetcher.close();
    await this.client.close();
  }
}
