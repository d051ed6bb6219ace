import type { ClusterState } from '../../coordinator/cluster-state.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';

/**
 * Hands out producer ids from blocks reserved in ZooKeeper (/latest_producer_id_block, Kafka's
 * layout): each broker (startBroker creates one allocator) takes a block of 1000 with a conditional write, so ids are unique cluster-wide
 * and survive restarts (a restarted broker takes a fresh block). One allocator per broker.
 */
export class ProducerIdBlocks {
  private next = 0n;
  private end = -1n;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly state: ClusterState,
    private readonly brokerId: number,
  ) {}

  allocate(): Promise<bigint> {
    return this.queue.run(async () => {
      if (this.next > this.end) {
        const block = await this.state.allocateProducerIdBlock(this.brokerId);
        this.next = block.blockStart;
        this.end = block.blockEnd;
      }
      return this.next++;
    });
  }
}
