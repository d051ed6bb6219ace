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
  /** Znodes with a watch armed by us: re-reads of those go without a new watch (one watch per znode). */
  private readonly watched = new Set<string>();
  private readonly invalidated = new Set<string>();
  /** Routes computed from `leaders` and `brokers`, dropped on every change. */
  private readonly routes = new Map<string, TopicRoute>();
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
    let route = this.routes.get(topic);
    if (route) return route;
    const leaders = this.leaders.get(topic);
    if (!leaders) return undefined;
    route = routeFrom([...leaders], (id) => this.brokers.has(id));
    this.routes.set(topic, route);
    return route;
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
    if (this.invalidated.has(topic)) return;
    this.invalidated.add(topic);
    this.later(() => {
      this.invalidated.delete(topic);
      return this.loadTopic(topic);
    });
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

  /** Drops computed routes and tells the sender to look again. */
  private changed(): void {
    this.routes.clear();
    this.emit('change');
  }

  private setBrokers(brokers: DiscoveredBroker[]): void {
    const next = new Map<number, BrokerAddress>();
    for (const b of brokers) if (b.nodeId !== undefined) next.set(b.nodeId, { host: b.host, port: b.port });
    this.brokers = next;
    log.debug({ brokers: [...next.keys()] }, 'broker list');
    this.changed();
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
    try {
      await this.readTopicWatched(topic);
    } catch (error) {
      this.watched.delete(`topic:${topic}`);
      throw error;
    }
  }

  private async readTopicWatched(topic: string): Promise<void> {
    const assignment = await this.state.readTopicAssignment(
      topic,
      this.watchOnce(`topic:${topic}`, () => this.loadTopic(topic)),
    );
    if (assignment === null) {
      this.watched.delete(`topic:${topic}`); // no watch is left on a missing znode
      this.leaders.delete(topic);
      return;
    }
    const count = assignment.value.length;
    const previous = this.leaders.get(topic) ?? [];
    const leaders = Array.from({ length: count }, (_, p) => previous[p] ?? -1);
    this.leaders.set(topic, leaders);
    await Promise.all(leaders.map((_, p) => this.readLeader(topic, p)));
    this.changed();
  }

  private async readLeader(topic: string, partition: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.readLeaderWatched(topic, partition);
    } catch (error) {
      this.watched.delete(`state:${topic}/${partition}`);
      throw error;
    }
  }

  private async readLeaderWatched(topic: string, partition: number): Promise<void> {
    const state = await this.state.readPartitionState(
      { topic, partition },
      this.watchOnce(`state:${topic}/${partition}`, async () => {
        await this.readLeader(topic, partition);
        this.changed();
      }),
    );
    const leaders = this.leaders.get(topic);
    if (!leaders || partition >= leaders.length) return;
    leaders[partition] = state?.value.leader ?? -1;
    // No state znode yet (topic just created): a missing node sets no data watch, so poll.
    if (state === null) this.watched.delete(`state:${topic}/${partition}`);
    if (state === null)
      this.later(async () => {
        await this.readLeader(topic, partition);
        this.changed();
      });
  }

  /**
   * A watcher for `key`'s znode, or undefined if one is already armed (ZooKeeper would keep both and
   * fire both, and each re-read would arm yet another). A failed read leaves no watch: unmark then.
   */
  private watchOnce(key: string, reload: () => Promise<void>): ((event: WatchEvent) => void) | undefined {
    if (this.watched.has(key)) return undefined;
    this.watched.add(key);
    return () => {
      this.watched.delete(key);
      // sessionExpired included: the re-read fails until the new session is up, then re-arms the watch.
      if (this.closed) return;
      reload().catch((error: unknown) => {
        log.warn({ err: (error as Error).message }, 'route re-read failed; retrying');
        this.later(reload);
      });
    };
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
