import type { ClusterState } from '../../coordinator/cluster-state.js';

/**
 * Hands out producer ids from blocks reserved in ZooKeeper (/latest_producer_id_block, Kafka's
 * layout): each broker (startBroker creates one allocator) takes a block of 1000 with a conditional write, so ids are unique cluster-wide
 * and survive restarts (a restarted broker takes a fresh block). One allocator per broker.
 */
export class ProducerIdBlocks {
  private next = 0n;
  private end = -1n;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: ClusterState,
    private readonly brokerId: number,
  ) {}

  allocate(): Promise<bigint> {
    const run = this.tail.then(async () => {
      if (this.next > this.end) {
        const block = await this.state.allocateProducerIdBlock(this.brokerId);
        this.next = block.blockStart;
        this.end = block.blockEnd;
      }
      return this.next++;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
