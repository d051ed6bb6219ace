import { EventEmitter } from 'node:events';
import type { DiscoveredBroker, ZooKeeperBrokerDiscovery } from '../client/broker-discovery.js';
import type { BrokerAddress } from '../client/kafka-connection.js';
import type { ClusterState } from '../coordinator/cluster-state.js';
import type { WatchEvent } from '../coordinator/zk-session.js';
import { componentLogger } from '../log/logger.js';
import { UnknownTopicError } from './producer-errors.js';
import { routeFrom, type ProducerRoutes, type RouteEvents, type TopicRoute } from './producer-routes.js';

const log = componentLogger('producer-zookeeper-routes');

/**
 * Routes read straight from ZooKeeper: live brokers from /brokers/ids (the discovery's watch) and
 * leaders from /brokers/topics/<t>/partitions/<p>/state, each read with a one-shot watch that re-reads
 * it when it changes — so leader moves and broker joins/leaves reach the producer without a restart.
 */
export class ZooKeeperRoutes extends EventEmitter<RouteEvents> implements ProducerRoutes {
  private readonly leaders = new Map<string, number[]>();
  private readonly loading = new Map<string, Promise<void>>();
  private brokers = new Map<number, BrokerAddress>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly onBrokers = (brokers: DiscoveredBroker[]): void => this.setBrokers(brokers);

  private constructor(
    private readonly discovery: ZooKeeperBrokerDiscovery,
    private readonly retryBackoffMs: number,
  ) {
    super();
  }

  static async start(discovery: ZooKeeperBrokerDiscovery, retryBackoffMs: number): Promise<ZooKeeperRoutes> {
    const routes = new ZooKeeperRoutes(discovery, retryBackoffMs);
    discovery.on('change', routes.onBrokers);
    routes.setBrokers(await discovery.brokers());
    return routes;
  }

  private get state(): ClusterState {
    return this.discovery.clusterState;
  }

  cached(topic: string): TopicRoute | undefined {
    const leaders = this.leaders.get(topic);
    return leaders ? routeFrom(leaders, (id) => this.brokers.has(id)) : undefined;
  }

  async load(topic: string): Promise<TopicRoute> {
    if (!this.leaders.has(topic)) await this.loadTopic(topic);
    const route = this.cached(topic);
    if (!route) throw new UnknownTopicError(topic);
    return route;
  }

  invalidate(topic: string): void {
    // The watches keep us current; a stale answer from a broker means ZooKeeper has (or will have) the
    // new leader, so re-read after the backoff in case the watch event is still on its way.
    this.later(() => this.loadTopic(topic));
  }

  brokerAddress(brokerId: number): BrokerAddress | undefined {
    return this.brokers.get(brokerId);
  }

  close(): Promise<void> {
    this.closed = true;
    this.discovery.off('change', this.onBrokers);
    for (const timer of this.retryTimers) clearTimeout(timer);
    return Promise.resolve();
  }

  private setBrokers(brokers: DiscoveredBroker[]): void {
    const next = new Map<number, BrokerAddress>();
    for (const b of brokers) if (b.nodeId !== undefined) next.set(b.nodeId, { host: b.host, port: b.port });
    this.brokers = next;
    log.debug({ brokers: [...next.keys()] }, 'broker list');
    this.emit('change');
  }

  private loadTopic(topic: string): Promise<void> {
    const running = this.loading.get(topic);
    if (running) return running;
    const run = this.readTopic(topic).finally(() => this.loading.delete(topic));
    this.loading.set(topic, run);
    return run;
  }

  private async readTopic(topic: string): Promise<void> {
    if (this.closed) return;
    const assignment = await this.state.readTopicAssignment(topic, (event) =>
      this.onWatch(event, () => this.loadTopic(topic)),
    );
    if (assignment === null) {
      this.leaders.delete(topic);
      return;
    }
    const count = assignment.value.length;
    const previous = this.leaders.get(topic) ?? [];
    const leaders = Array.from({ length: count }, (_, p) => previous[p] ?? -1);
    this.leaders.set(topic, leaders);
    await Promise.all(leaders.map((_, p) => this.readLeader(topic, p)));
    this.emit('change');
  }

  private async readLeader(topic: string, partition: number): Promise<void> {
    if (this.closed) return;
    const state = await this.state.readPartitionState({ topic, partition }, (event) =>
      this.onWatch(event, async () => {
        await this.readLeader(topic, partition);
        this.emit('change');
      }),
    );
    const leaders = this.leaders.get(topic);
    if (!leaders || partition >= leaders.length) return;
    leaders[partition] = state?.value.leader ?? -1;
    // No state znode yet (topic just created): a missing node sets no data watch, so poll.
    if (state === null)
      this.later(async () => {
        await this.readLeader(topic, partition);
        this.emit('change');
      });
  }

  private onWatch(event: WatchEvent, reload: () => Promise<void>): void {
    // sessionExpired included: the re-read fails until the new session is up, then re-arms the watch.
    if (this.closed) return;
    void event;
    reload().catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'route re-read failed; retrying');
      this.later(reload);
    });
  }

  private later(action: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      action().catch((error: unknown) => {
        log.debug({ err: (error as Error).message }, 'route re-read failed; retrying');
        this.later(action);
      });
    }, this.retryBackoffMs);
    this.retryTimers.add(timer);
  }
}
