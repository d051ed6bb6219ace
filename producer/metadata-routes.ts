import { EventEmitter } from 'node:events';
import type { KafkaClient } from '../client/kafka-client.js';
import type { BrokerAddress } from '../client/kafka-connection.js';
import { componentLogger } from '../log/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaProtocolError } from '../protocol/errors.js';
import { UnknownTopicError } from './producer-errors.js';
import { routeFrom, type ProducerRoutes, type RouteEvents, type TopicRoute } from './producer-routes.js';

const log = componentLogger('producer-metadata');

/**
 * Routes from Metadata responses (bootstrap mode, like any Kafka client). Invalidations are coalesced
 * into one refresh of every known topic, at most one per `minRefreshIntervalMs`; the cache is also
 * refreshed every `maxAgeMs` (metadata.max.age.ms) so new brokers and partitions are noticed.
 */
export class MetadataRoutes extends EventEmitter<RouteEvents> implements ProducerRoutes {
  private readonly routes = new Map<string, TopicRoute>();
  private readonly brokers = new Map<number, BrokerAddress>();
  private refreshing: Promise<void> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefreshAt = 0;
  private readonly ageTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly minRefreshIntervalMs: number,
    maxAgeMs = 300_000,
  ) {
    super();
    this.ageTimer = setInterval(() => this.invalidate(''), maxAgeMs).unref();
  }

  cached(topic: string): TopicRoute | undefined {
    return this.routes.get(topic);
  }

  async load(topic: string): Promise<TopicRoute> {
    const known = this.routes.get(topic);
    if (known) return known;
    await this.refresh([...this.routes.keys(), topic]);
    const route = this.routes.get(topic);
    if (!route) throw new UnknownTopicError(topic);
    return route;
  }

  invalidate(_topic: string): void {
    if (this.refreshTimer || this.closed) return;
    const wait = Math.max(0, this.lastRefreshAt + this.minRefreshIntervalMs - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh([...this.routes.keys()]).catch((error: unknown) => {
        log.debug({ err: (error as Error).message }, 'metadata refresh failed; retrying');
        this.invalidate('');
      });
    }, wait);
  }

  brokerAddress(brokerId: number): BrokerAddress | undefined {
    return this.brokers.get(brokerId);
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ageTimer);
    clearTimeout(this.refreshTimer);
    return Promise.resolve();
  }

  private refresh(topics: string[]): Promise<void> {
    if (this.refreshing) return this.refreshing.then(() => this.refreshMissing(topics));
    const run = (async () => {
      this.lastRefreshAt = Date.now();
      const metadata = await this.client.refreshMetadata(topics);
      for (const id of metadata.brokerIds()) {
        const broker = metadata.broker(id)!;
        this.brokers.set(id, { host: broker.host, port: broker.port });
      }
      const live = new Set(metadata.brokerIds());
      for (const name of topics) {
        const topic = metadata.topic(name);
        if (!topic || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          this.routes.delete(name);
          continue;
        }
        if (topic.errorCode !== 0 && topic.partitions.length === 0) {
          throw new KafkaProtocolError(topic.errorCode, `(metadata for topic ${name})`);
        }
        const leaders = topic.partitions.map((p) => (p.errorCode === 0 || p.leader >= 0 ? p.leader : -1));
        this.routes.set(
          name,
          routeFrom(leaders, (id) => live.has(id)),
        );
      }
      this.emit('change');
    })();
    this.refreshing = run;
    return run.finally(() => {
      if (this.refreshing === run) this.refreshing = undefined;
    });
  }

  private async refreshMissing(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.routes.has(t));
    if (missing.length > 0) await this.refresh([...this.routes.keys(), ...missing]);
  }
}
