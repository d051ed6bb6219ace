import type { ClusterState, Versioned } from '../../coordinator/cluster-state.js';
import { controllerPaths, isFencedOut, type ControllerState } from '../../coordinator/controller-state.js';
import { isZooKeeperError } from '../../coordinator/zk-errors.js';
import type { Watcher } from '../../coordinator/zk-session.js';
import { zkPaths, type PartitionState, type ReplicaAssignment } from '../../coordinator/zk-paths.js';
import type { TopicPartition } from '../../protocol/topic-partition.js';
import type { Logger } from '../../log/logger.js';
import { RepeatedWarning } from '../../log/repeated-warning.js';
import {
  NO_LEADER,
  controlledShutdownState,
  initialPartitionState,
  preferredLeaderState,
  reconcilePartition,
  type BrokerLiveness,
} from './partition-leader-election.js';

/**
 * One term of this broker as controller: created when it wins an election, thrown away when it loses
 * the role. Everything it knows it read from ZooKeeper at the start of the term (a new controller never
 * trusts a predecessor's view) and keeps current through watches on /brokers/ids, /brokers/topics, each
 * topic's assignment and partition states, /admin/delete_topics and /admin/controlled_shutdown.
 *
 * All work runs on the controller's SerialQueue, so no two handlers interleave at their awaits. Every
 * write is fenced by the epoch version of this term and conditional on the partition-state version
 * read; a lost race (a leader changed the ISR meanwhile) is re-read and decided again.
 */

export interface ActiveControllerSettings {
  uncleanLeaderElectionEnable: boolean;
  autoLeaderRebalanceEnable: boolean;
  deleteTopicEnable: boolean;
  /** How often preferred leaders are restored (when autoLeaderRebalanceEnable). */
  leaderRebalanceIntervalMs: number;
  /** Pause before re-reading everything after an unexpected failure (connection loss, …). */
  retryBackoffMs: number;
}

export interface ActiveControllerContext {
  brokerId: number;
  epoch: number;
  /** zkVersion of /controller_epoch after our election: the fence on every write. */
  epochVersion: number;
  cluster: ClusterState;
  state: ControllerState;
  /** The controller's one queue (tasks abandoned when the session is lost). */
  serial<T>(task: () => Promise<T>): Promise<T>;
  settings: ActiveControllerSettings;
  logger: Logger;
  /** Called once when a write finds that another controller has been elected since. */
  onFencedOut(): void;
}

interface TopicView {
  assignment: ReplicaAssignment;
  states: Array<Versioned<PartitionState> | null>;
}

/** Give up a single partition change after this many lost races in a row (it is retried on resync). */
const MAX_CONDITIONAL_ATTEMPTS = 5;
/** Partition writes in flight at once during a pass over all partitions. */
const PIPELINE_DEPTH = 64;

export class ActiveController {
  private stopped = false;
  private live = new Map<number, bigint>();
  private shutdownRequests = new Set<number>();
  private pendingDeletions = new Set<string>();
  private readonly topics = new Map<string, TopicView>();
  /** Paths with a watch outstanding, so re-reads do not stack watchers on one node. */
  private readonly watching = new Set<string>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  /** A step that fails while ZooKeeper is away fails again on every resync: one line, then counts. */
  private readonly failures: RepeatedWarning;

  constructor(private readonly ctx: ActiveControllerContext) {
    this.failures = new RepeatedWarning(ctx.logger);
  }

  get epoch(): number {
    return this.ctx.epoch;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Reads the whole cluster and repairs what needs it. Call inside the queue. Safe to repeat. */
  async start(): Promise<void> {
    if (this.ctx.settings.autoLeaderRebalanceEnable && this.rebalanceTimer === undefined) {
      this.rebalanceTimer = setInterval(
        () => void this.enqueue(() => this.electPreferredLeaders().then(() => undefined)),
        this.ctx.settings.leaderRebalanceIntervalMs,
      );
      this.rebalanceTimer.unref();
    }
    try {
      await this.resync();
    } catch (error) {
      this.failed(error); // fenced: steps down; otherwise resyncs after a pause
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.rebalanceTimer);
    clearTimeout(this.resyncTimer);
  }

  /** Preferred-leader election over every partition; returns how many leaders moved. Inside the queue. */
  async electPreferredLeaders(): Promise<number> {
    const view = this.view();
    let moved = 0;
    await this.eachPartition(async (tp, replicas) => {
      if (await this.change(tp, (s) => preferredLeaderState(s, replicas, view, this.ctx.epoch))) moved++;
    });
    if (moved > 0) this.ctx.logger.info({ moved }, 'preferred leaders restored');
    return moved;
  }

  // ---- full read -------------------------------------------------------------------------------

  private async resync(): Promise<void> {
    // A new controller's first read is on the failover's critical path (its predecessor's partitions
    // wait for it): independent reads go out together instead of one round trip after another.
    const [live, , names] = await Promise.all([
      this.watched(
        zkPaths.brokerIds,
        () => this.onBrokersChanged(),
        (w) => this.ctx.state.readLiveBrokers(w),
      ),
      this.readShutdownRequestList(),
      this.watched(
        zkPaths.topics,
        () => this.onTopicsChanged(),
        (w) => this.ctx.cluster.listTopics(w),
      ),
    ]);
    this.live = live;
    for (const name of [...this.topics.keys()]) if (!names.includes(name)) this.topics.delete(name);
    for (let i = 0; i < names.length; i += PIPELINE_DEPTH) {
      await Promise.all(names.slice(i, i + PIPELINE_DEPTH).map((name) => this.loadTopic(name)));
    }
    this.ctx.logger.info(
      { epoch: this.ctx.epoch, liveBrokers: [...this.live.keys()], topics: names.length },
      'controller state loaded',
    );
    await this.reconcileAll(this.view());
    await this.initializeNewPartitions();
    await this.processShutdownRequests();
    await this.processDeletions();
  }

  // ---- brokers ---------------------------------------------------------------------------------

  private async onBrokersChanged(): Promise<void> {
    const previous = this.live;
    const current = await this.watched(
      zkPaths.brokerIds,
      () => this.onBrokersChanged(),
      (w) => this.ctx.state.readLiveBrokers(w),
    );
    const dead = [...previous.keys()].filter((id) => !current.has(id));
    const born = [...current.keys()].filter((id) => !previous.has(id));
    // A broker that restarted between two reads has a new registration (czxid): it died and returned.
    const bounced = [...current.keys()].filter(
      (id) => previous.has(id) && previous.get(id) !== current.get(id),
    );
    this.live = current;
    if (dead.length + born.length + bounced.length === 0) return;
    this.ctx.logger.info({ dead, born, bounced, live: [...current.keys()] }, 'live brokers changed');
    this.recomputeShuttingDown();
    if (bounced.length > 0) {
      const withoutBounced = new Set([...current.keys()].filter((id) => !bounced.includes(id)));
      await this.reconcileAll({ live: withoutBounced, shuttingDown: this.shuttingDown() });
    }
    await this.reconcileAll(this.view());
    await this.initializeNewPartitions();
    if (born.length + bounced.length > 0) await this.processShutdownRequests();
  }

  // ---- topics and partition states ---------------------------------------------------------------

  private async onTopicsChanged(): Promise<void> {
    const names = await this.watched(
      zkPaths.topics,
      () => this.onTopicsChanged(),
      (w) => this.ctx.cluster.listTopics(w),
    );
    for (const name of [...this.topics.keys()]) if (!names.includes(name)) this.topics.delete(name);
    const added = names.filter((name) => !this.topics.has(name));
    for (const name of added) await this.loadTopic(name);
    if (added.length > 0) {
      this.ctx.logger.info({ topics: added }, 'new topics');
      await this.reconcileAll(this.view());
      await this.initializeNewPartitions();
    }
  }

  /** Assignment changed (partitions added) or the topic node went away. */
  private async onTopicChanged(name: string): Promise<void> {
    await this.loadTopic(name);
    await this.initializeNewPartitions();
  }

  private async loadTopic(name: string): Promise<void> {
    const assignment = await this.watched(
      zkPaths.topic(name),
      () => this.onTopicChanged(name),
      (w) => this.ctx.cluster.readTopicAssignment(name, w),
    );
    if (assignment === null) {
      this.topics.delete(name);
      return;
    }
    const states = await Promise.all(
      assignment.value.map((_, partition) => this.readState({ topic: name, partition })),
    );
    this.topics.set(name, { assignment: assignment.value, states });
  }

  private readState(tp: TopicPartition): Promise<Versioned<PartitionState> | null> {
    return this.watched(
      zkPaths.partitionState(tp),
      () => this.refreshState(tp),
      (w) => this.ctx.state.readPartitionState(tp, w),
    );
  }

  /** Re-reads one partition state into the cache (after a watch fired or a lost race). */
  private async refreshState(tp: TopicPartition): Promise<void> {
    const state = await this.readState(tp);
    const topic = this.topics.get(tp.topic);
    if (topic && tp.partition < topic.assignment.length) topic.states[tp.partition] = state;
  }

  /** Writes the first state of every partition that has none and has a live replica. */
  private async initializeNewPartitions(): Promise<void> {
    const view = this.view();
    await this.eachPartition(async (tp, replicas) => {
      if (this.topics.get(tp.topic)?.states[tp.partition]) return;
      const first = initialPartitionState(replicas, view, this.ctx.epoch);
      if (first === null) return;
      try {
        await this.ctx.state.createPartitionState(tp, first, this.ctx.epochVersion);
        this.ctx.logger.info({ ...tp, leader: first.leader, isr: first.isr }, 'partition online');
      } catch (error) {
        if (isFencedOut(error) || !isZooKeeperError(error, 'NODEEXISTS', 'NONODE')) throw error;
      }
      await this.refreshState(tp);
    });
  }

  /** Elections and ISR pruning for every partition, given which brokers are live. */
  private async reconcileAll(view: BrokerLiveness): Promise<void> {
    // The topic config is read only for topics with a partition that has no live in-sync replica.
    const unclean = new Set<string>();
    for (const [topic, { states }] of this.topics) {
      const needsUnclean = states.some(
        (s) => s !== null && !view.live.has(s.value.leader) && !s.value.isr.some((r) => view.live.has(r)),
      );
      if (needsUnclean && (await this.uncleanElectionEnabled(topic))) unclean.add(topic);
    }
    await this.eachPartition(async (tp, replicas) => {
      await this.change(tp, (s) =>
        reconcilePartition(s, replicas, view, unclean.has(tp.topic), this.ctx.epoch),
      );
    }, false);
  }

  /** unclean.leader.election.enable: the topic's override, else the broker's setting. */
  private async uncleanElectionEnabled(topic: string): Promise<boolean> {
    const override = (await this.ctx.cluster.readTopicConfig(topic))?.['unclean.leader.election.enable'];
    return override === undefined ? this.ctx.settings.uncleanLeaderElectionEnable : override === 'true';
  }

  /**
   * Decides and writes one partition's next state from the cached one: fenced, conditional on its znode
   * version; a lost race re-reads and decides again. Returns whether a state was written.
   */
  private async change(
    tp: TopicPartition,
    decide: (current: PartitionState) => PartitionState | null,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_CONDITIONAL_ATTEMPTS; attempt++) {
      const topic = this.topics.get(tp.topic);
      const current = topic?.states[tp.partition];
      if (!topic || !current) return false;
      const next = decide(current.value);
      if (next === null) return false;
      try {
        const version = await this.ctx.state.updatePartitionState(
          tp,
          next,
          current.version,
          this.ctx.epochVersion,
        );
        topic.states[tp.partition] = { value: next, version };
        this.ctx.logger.info(
          { topic: tp.topic, partition: tp.partition, from: current.value, to: next },
          next.leader === NO_LEADER ? 'partition offline' : 'partition state changed',
        );
        return true;
      } catch (error) {
        if (isFencedOut(error) || !isZooKeeperError(error, 'BADVERSION', 'NONODE')) throw error;
        await this.refreshState(tp);
      }
    }
    this.ctx.logger.warn({ ...tp }, 'partition state kept changing under the controller; will retry later');
    this.scheduleResync();
    return false;
  }

  // ---- topic deletion ----------------------------------------------------------------------------

  private async processDeletions(): Promise<void> {
    const requested = await this.watched(
      zkPaths.deleteTopics,
      () => this.processDeletions(),
      (w) => this.ctx.cluster.listTopicDeletions(w),
    );
    this.pendingDeletions = new Set(requested);
    for (const topic of requested) {
      if (!this.ctx.settings.deleteTopicEnable) {
        this.ctx.logger.warn({ topic }, 'delete.topic.enable=false: dropping the deletion request');
        await this.ctx.state.dropTopicDeletionRequest(topic, this.ctx.epochVersion);
      } else {
        await this.deleteTopic(topic);
      }
      this.pendingDeletions.delete(topic);
    }
  }

  private async deleteTopic(topic: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ctx.state.deleteTopic(topic, this.ctx.epochVersion);
        break;
      } catch (error) {
        // A node appeared or vanished between listing and deleting: list again.
        if (isFencedOut(error) || attempt >= 3 || !isZooKeeperError(error, 'NONODE', 'NOTEMPTY')) throw error;
      }
    }
    this.topics.delete(topic);
    this.ctx.logger.info({ topic }, 'topic deleted');
  }

  // ---- controlled shutdown -------------------------------------------------------------------------

  private shuttingDown(): Set<number> {
    return new Set([...this.shutdownRequests].filter((id) => this.live.has(id)));
  }

  private recomputeShuttingDown(): void {
    // Requests of brokers that are gone no longer matter; their ephemeral nodes go with them.
    this.shutdownRequests = new Set([...this.shutdownRequests].filter((id) => this.live.has(id)));
  }

  private async readShutdownRequestList(): Promise<void> {
    const ids = await this.watched(
      controllerPaths.controlledShutdowns,
      () => this.onShutdownRequestsChanged(),
      (w) => this.ctx.state.listControlledShutdownRequests(w),
    );
    this.shutdownRequests = new Set(ids);
  }

  private async onShutdownRequestsChanged(): Promise<void> {
    await this.readShutdownRequestList();
    await this.processShutdownRequests();
  }

  private async processShutdownRequests(): Promise<void> {
    for (const id of this.shuttingDown()) await this.processShutdownRequest(id);
  }

  private async processShutdownRequest(brokerId: number): Promise<void> {
    if (!this.live.has(brokerId)) return;
    const request = await this.watched(
      controllerPaths.controlledShutdown(brokerId),
      () => this.processShutdownRequest(brokerId),
      (w) => this.ctx.state.readControlledShutdownRequest(brokerId, w),
    );
    if (request === null) {
      this.shutdownRequests.delete(brokerId);
      return;
    }
    this.shutdownRequests.add(brokerId);
    if (request.value.status !== 'requested') return;
    const view = this.view();
    const remaining: TopicPartition[] = [];
    await this.eachPartition(async (tp, replicas) => {
      if (!replicas.includes(brokerId)) return;
      await this.change(
        tp,
        (s) => controlledShutdownState(s, replicas, brokerId, view, this.ctx.epoch).state,
      );
      if (this.topics.get(tp.topic)?.states[tp.partition]?.value.leader === brokerId) remaining.push(tp);
    }, false);
    remaining.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    try {
      await this.ctx.state.completeControlledShutdown(
        brokerId,
        remaining,
        request.version,
        this.ctx.epochVersion,
      );
      this.ctx.logger.info({ brokerId, remaining: remaining.length }, 'controlled shutdown done');
    } catch (error) {
      // The broker asked again (new version: the data watch brings it back) or left.
      if (isFencedOut(error) || !isZooKeeperError(error, 'BADVERSION', 'NONODE')) throw error;
    }
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  /**
   * Runs `step` for every partition (of topics not being deleted, unless `skipDeleting` is false),
   * PIPELINE_DEPTH at a time: partitions are independent znodes, and pipelining the round trips keeps
   * a failover of many partitions fast. All of it is still one queue task.
   */
  private async eachPartition(
    step: (tp: TopicPartition, replicas: readonly number[]) => Promise<void>,
    skipDeleting = true,
  ): Promise<void> {
    const work: Array<[TopicPartition, readonly number[]]> = [];
    for (const [topic, { assignment }] of this.topics) {
      if (skipDeleting && this.pendingDeletions.has(topic)) continue;
      assignment.forEach((replicas, partition) => work.push([{ topic, partition }, replicas]));
    }
    for (let i = 0; i < work.length; i += PIPELINE_DEPTH) {
      await Promise.all(work.slice(i, i + PIPELINE_DEPTH).map(([tp, replicas]) => step(tp, replicas)));
    }
  }

  private view(): BrokerLiveness {
    return { live: new Set(this.live.keys()), shuttingDown: this.shuttingDown() };
  }

  /**
   * Reads `path` with a watch that runs `handler` on the queue when it fires — unless a watch on that
   * path is already outstanding. A read that found no node leaves no watch (getData arms none there).
   */
  private async watched<T>(
    path: string,
    handler: () => Promise<unknown>,
    read: (watcher: Watcher | undefined) => Promise<T>,
  ): Promise<T> {
    let watcher: Watcher | undefined;
    if (!this.watching.has(path)) {
      this.watching.add(path);
      watcher = (event) => {
        this.watching.delete(path);
        if (event.type === 'sessionExpired' || this.stopped) return;
        void this.enqueue(handler);
      };
    }
    try {
      const result = await read(watcher);
      if (result === null && watcher) this.watching.delete(path);
      return result;
    } catch (error) {
      if (watcher) this.watching.delete(path);
      throw error;
    }
  }

  private enqueue(handler: () => Promise<unknown>): Promise<void> {
    return this.ctx
      .serial(async () => {
        if (this.stopped) return;
        try {
          await handler();
        } catch (error) {
          this.failed(error);
        }
      })
      .catch((error: unknown) => this.failed(error));
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    if (isFencedOut(error)) {
      this.ctx.logger.warn({ epoch: this.ctx.epoch }, 'fenced out: another controller was elected');
      this.stop();
      this.ctx.onFencedOut();
      return;
    }
    this.failures.warn('step', { err: error }, 'controller step failed; re-reading the cluster');
    this.scheduleResync();
  }

  private scheduleResync(): void {
    if (this.stopped || this.resyncTimer !== undefined) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      void this.enqueue(() => this.resync());
    }, this.ctx.settings.retryBackoffMs);
    this.resyncTimer.unref();
  }
}
