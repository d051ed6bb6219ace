import type { EventEmitter } from 'node:events';
import type { BrokerAddress } from '../client/kafka-connection.js';

/** Where each partition of a topic is led: broker ids, -1 while leaderless. */
export interface TopicRoute {
  partitionCount: number;
  leaders: number[];
  /** Partitions with a leader, ascending (the sticky partitioner spreads over these). */
  available: number[];
}

export interface RouteEvents {
  /** Leaders or brokers changed: batches waiting for a leader may now be sendable. */
  change: [];
}

/**
 * The producer's view of the cluster: partition leaders and broker addresses. Two sources: ZooKeeper
 * (watches on /brokers/ids and the partition state znodes) and Metadata requests to a broker.
 */
export interface ProducerRoutes extends EventEmitter<RouteEvents> {
  /** The cached route, if the topic has been loaded. */
  cached(topic: string): TopicRoute | undefined;
  /** Loads (or returns) the route; throws UnknownTopicError when the topic does not exist. */
  load(topic: string): Promise<TopicRoute>;
  /** A send failed in a way that means our view is stale (not leader, unknown partition…): re-read. */
  invalidate(topic: string): void;
  brokerAddress(brokerId: number): BrokerAddress | undefined;
  close(): Promise<void>;
}

export function routeFrom(leaders: number[], isLive: (id: number) => boolean): TopicRoute {
  const available: number[] = [];
  for (let p = 0; p < leaders.length; p++) if (leaders[p]! >= 0 && isLive(leaders[p]!)) available.push(p);
  return { partitionCount: leaders.length, leaders, available };
}
