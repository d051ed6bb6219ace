import type { ClusterState } from '../coordinator/cluster-state.js';
import { ControllerState } from '../coordinator/controller-state.js';
import type { WatchEvent } from '../coordinator/zk-session.js';
import type { PartitionState } from '../coordinator/zk-paths.js';
import { topicPartitionKey, type TopicPartition } from '../protocol/topic-partition.js';
import type { Logger } from '../log/logger.js';
import { RepeatedWarning } from '../log/repeated-warning.js';
import { NO_LEADER } from './controller/partition-leader-election.js';
import type { MetadataCache, TopicMetadata } from './metadata-cache.js';
import type { ReplicaManager } from './replica/replica-manager.js';
import { SerialQueue } from '../concurrency/serial-queue.js';

/** Pause before re-reading a partition state whose read failed. */
const STATE_RETRY_MS = 200;

/**
 * Keeps the MetadataCache and the local replicas in step with ZooKeeper: live brokers, the
 * controller, topics and their partition states (a deleted topic's logs go when its znode does; the
 * active controller carries deletions out). Every change arrives as a watch and is handled on one
 * serial chain, so two refreshes never interleave at their awaits (the only nesting
 * is ReplicaManager's own queue, which never calls back here).
 *
 * Watches are armed only on the node that changed, so watchers do not pile up: a partition-state
 * change re-reads that partition; a topic-assignment change re-reads the topic; the topic list only
 * reads topics it has not seen. After a session expiry everything is re-read (the hook in broker.ts).
 */
export class ClusterSync {
  private readonly queue = new SerialQueue();
  private closed = false;
  /** Znode version of each known partition state (the leader's ISR writes are conditional on it). */
  private readonly stateVersions = new Map<string, number>();
  /** Partition states whose watch fired and that are not re-read yet. */
  /** Partitions whose leader_ack node has a watch armed (one per node, so they do not pile up). */
  private readonly ackWatched = new Set<string>();
  private readonly changedStates = new Map<string, TopicPartition>();
  /** This broker asked for a controlled shutdown: it follows no new leader (see applyReplica). */
  private shuttingDown = false;
  private readonly controllerState: ControllerState;
  /** ZooKeeper retries while it or a peer is away: one line per partition, then counts. */
  private readonly retries: RepeatedWarning;

  constructor(
    private readonly brokerId: number,
    private readonly clusterState: ClusterState,
    private readonly cache: MetadataCache,
    private readonly replicas: ReplicaManager,
    logger: Logger,
  ) {
    this.controllerState = new ControllerState(clusterState);
    this.retries = new RepeatedWarning(logger);
  }

  /** Re-reads everything (start and after a new session). */
  refreshAll(): Promise<void> {
    return this.enqueue(async () => {
      await this.readBrokers();
      await this.readController();
      await this.readShutdownRequests();
      const topics = await this.clusterState.listTopics((event) => this.onTopicList(event));
      const known = new Set([
        ...this.cache.topics.keys(),
        ...this.replicas.all().map((p) => p.topicPartition.topic),
      ]);
      for (const name of known) if (!topics.includes(name)) await this.dropTopic(name);
      // A new session has none of the old watches: forget cached states so every node is re-watched.
      this.cache.topics = new Map();
      this.changedStates.clear();
      this.ackWatched.clear();
      for (const name of topics) await this.readTopic(name);
    });
  }

  /** Re-reads one topic now (admin requests that just created it). */
  refreshTopic(name: string): Promise<void> {
    return this.enqueue(() => this.readTopic(name));
  }

  close(): Promise<void> {
    this.closed = true;
    return this.queue.idle();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      try {
        await task();
      } catch (error) {
        this.retries.warn('refresh', { err: error }, 'cluster state refresh failed');
      }
    });
  }

  private watched(handler: () => Promise<void>): (event: WatchEvent) => void {
    return (event) => {
      // After an expiry the session hook re-reads everything; the old watches are gone with it.
      if (event.type === 'sessionExpired' || this.closed) return;
      void this.enqueue(handler);
    };
  }

  private async readBrokers(): Promise<void> {
    const brokers = await this.clusterState.readBrokers(this.watched(() => this.readBrokers()));
    this.cache.brokers = new Map(brokers.map((b) => [b.id, b]));
  }

  private async readController(): Promise<void> {
    this.cache.controllerId = await this.clusterState.readControllerId(
      this.watched(() => this.readController()),
    );
  }

  /** /admin/controlled_shutdown: which brokers are leaving (this one included, perhaps). */
  private async readShutdownRequests(): Promise<void> {
    const ids = await this.controllerState.listControlledShutdownRequests(
      this.watched(() => this.readShutdownRequests()),
    );
    this.cache.shuttingDownBrokerIds = new Set(ids);
    this.shuttingDown = ids.includes(this.brokerId);
  }

  private onTopicList(event: WatchEvent): void {
    this.watched(async () => {
      const topics = await this.clusterState.listTopics((e) => this.onTopicList(e));
      for (const name of [...this.cache.topics.keys()])
        if (!topics.includes(name)) await this.dropTopic(name);
      for (const name of topics) if (!this.cache.topics.has(name)) await this.readTopic(name);
    })(event);
  }

  private async readTopic(name: string): Promise<void> {
    const assignment = await this.clusterState.readTopicAssignment(
      name,
      this.watched(() => this.readTopic(name)),
    );
    if (assignment === null) {
      await this.dropTopic(name);
      return;
    }
    const config = (await this.clusterState.readTopicConfig(name)) ?? {};
    const previous = this.cache.topics.get(name);
    const states: Array<PartitionState | null> = [];
    for (let partition = 0; partition < assignment.value.length; partition++) {
      // Already-watched partitions keep their watch; read them again only when they had no state.
      const known = previous?.states[partition];
      if (known) states.push(known);
      else states.push(await this.readState({ topic: name, partition }));
    }
    const topic: TopicMetadata = { name, assignment: assignment.value, states, config };
    // Replicas open before the cache shows the topic: whoever sees it may produce to it at once.
    for (let partition = 0; partition < states.length; partition++) await this.applyReplica(topic, partition);
    this.cache.setTopic(topic);
  }

  private async readState(tp: TopicPartition): Promise<PartitionState | null> {
    const key = topicPartitionKey(tp);
    const apply = this.watched(() => this.applyChangedStates());
    // The leader's acknowledgement is read alongside (pipelined), and re-read whenever it changes.
    const [read] = await Promise.all([
      this.clusterState.readPartitionStateOrWatchCreation(tp, (event) => {
        // Marked when the watch fires, not when its task runs, so one task takes every change so far.
        if (event.type !== 'sessionExpired') this.changedStates.set(key, tp);
        apply(event);
      }),
      this.ackWatched.has(key) ? undefined : this.readLeaderAck(tp),
    ]);
    if (read) this.stateVersions.set(key, read.version);
    else this.stateVersions.delete(key);
    return read?.value ?? null;
  }
  /** Reads a partition's leader ack and arms one watch on it (re-read when it fires). */
  private async readLeaderAck(tp: TopicPartition): Promise<void> {
    const key = topicPartitionKey(tp);
    const reread = this.watched(() => this.readLeaderAck(tp));
    this.ackWatched.add(key);
    try {
      const { ack, watching } = await this.clusterState.readLeaderAckOrWatchCreation(tp, (event) => {
        this.ackWatched.delete(key);
        reread(event);
      });
      // The topic is gone: no watch was armed, and none is wanted.
      if (!watching) this.ackWatched.delete(key);
      this.cache.setLeaderAck(tp.topic, tp.partition, ack);
    } catch (error) {
      this.ackWatched.delete(key);
      throw error;
    }
  }

  /**
   * Once this broker leads a partition, it says so in ZooKeeper (leader_ack) for the other brokers'
   * Metadata answers. Off the serial chain: the write does not delay the next state change, and
   * nothing on the produce or fetch path waits for it.
   */
  private acknowledgeLeadership(tp: TopicPartition, state: PartitionState): void {
    const version = this.stateVersions.get(topicPartitionKey(tp));
    if (version === undefined || this.cache.leaderAcknowledged(tp.topic, tp.partition, state)) return;
    const ack = { leader: this.brokerId, leaderEpoch: state.leaderEpoch };
    this.clusterState.writeLeaderAck(tp, ack, version).then(
      (written) => {
        if (written) this.cache.setLeaderAck(tp.topic, tp.partition, ack);
      },
      (error: unknown) => {
        if (this.closed) return;
        this.retries.warn(
          `ack:${topicPartitionKey(tp)}`,
          { err: error, ...tp },
          'leader acknowledgement failed; retrying',
        );
        setTimeout(() => {
          const partition = this.replicas.get(tp);
          if (!this.closed && partition?.isLeader && partition.leaderEpoch === state.leaderEpoch)
            this.acknowledgeLeadership(tp, state);
        }, STATE_RETRY_MS).unref();
      },
    );
  }

  /**
   * The states of one failover change together (the controller writes them back to back): re-reads
   * every changed partition state at once (pipelined), then publishes them in the order that
   * shortens a failover: states led by another broker go into the metadata cache at once, so clients
   * asking us find the new leader without waiting on our own replicas; then the partitions this broker
   * now leads are opened as leaders (each enters the cache once it leads: whoever sees it may produce);
   * followers last.
   */
  private async applyChangedStates(): Promise<void> {
    const changed = [...this.changedStates.values()].filter((tp) => this.cache.topics.has(tp.topic));
    this.changedStates.clear();
    if (changed.length === 0) return;
    const reads = await Promise.allSettled(changed.map((tp) => this.readState(tp)));
    const fresh: Array<{ tp: TopicPartition; state: PartitionState | null }> = [];
    reads.forEach((read, i) => {
      const tp = changed[i]!;
      if (read.status === 'fulfilled') fresh.push({ tp, state: read.value });
      else this.retryStateRead(tp, read.reason);
    });
    const leading = fresh.filter(({ state }) => state?.leader === this.brokerId);
    const others = fresh.filter(({ state }) => state?.leader !== this.brokerId);
    for (const { tp, state } of others) this.publishState(tp, state);
    for (const { tp, state } of leading) {
      const topic = this.cache.topics.get(tp.topic);
      if (!topic) continue;
      await this.applyReplica(withState(topic, tp.partition, state), tp.partition);
      this.publishState(tp, state);
    }
    for (const { tp } of others) {
      const topic = this.cache.topics.get(tp.topic);
      if (topic) await this.applyReplica(topic, tp.partition);
    }
  }

  private publishState(tp: TopicPartition, state: PartitionState | null): void {
    const topic = this.cache.topics.get(tp.topic);
    if (topic && tp.partition < topic.assignment.length)
      this.cache.setTopic(withState(topic, tp.partition, state));
  }

  /** A failed read armed no watch: try again shortly, or the partition would stay stale. */
  private retryStateRead(tp: TopicPartition, error: unknown): void {
    this.retries.warn(
      `read:${topicPartitionKey(tp)}`,
      { err: error, ...tp },
      'partition state read failed; retrying',
    );
    setTimeout(() => {
      if (this.closed) return;
      this.changedStates.set(topicPartitionKey(tp), tp);
      void this.enqueue(() => this.applyChangedStates());
    }, STATE_RETRY_MS).unref();
  }

  /** Opens the local replica when this broker is among the partition's replicas. */
  private async applyReplica(topic: TopicMetadata, partition: number): Promise<void> {
    const replicas = topic.assignment[partition] ?? [];
    const state = topic.states[partition];
    const tp = { topic: topic.name, partition };
    if (!replicas.includes(this.brokerId)) {
      await this.replicas.removeReplica(tp, true);
      return;
    }
    if (!state) return;
    // While this broker shuts down, the controller moves its leaderships away and takes it out of every
    // ISR. Following the new leaders would get it re-admitted at once (it is caught up), and their
    // acks=all produce would then wait on it until its registration goes and the controller shrinks the
    // ISR again. So it stops fetching, as Kafka's StopReplica makes a shutting-down broker do.
    const stopFollowing = this.shuttingDown && state.leader !== this.brokerId;
    await this.replicas.ensureReplica(
      tp,
      {
        leader: stopFollowing ? NO_LEADER : state.leader,
        leaderEpoch: state.leaderEpoch,
        replicas,
        isr: state.isr,
        controllerEpoch: state.controllerEpoch,
        zkVersion: this.stateVersions.get(topicPartitionKey({ topic: topic.name, partition })),
      },
      topic.config,
    );
    if (!stopFollowing && state.leader === this.brokerId && this.replicas.get(tp)?.isLeader)
      this.acknowledgeLeadership(tp, state);
  }

  private async dropTopic(name: string): Promise<void> {
    this.cache.removeTopic(name);
    for (const partition of this.replicas.partitionsOf(name)) {
      await this.replicas.removeReplica(partition.topicPartition, true);
    }
  }
}

function withState(topic: TopicMetadata, partition: number, state: PartitionState | null): TopicMetadata {
  const states = [...topic.states];
  states[partition] = state;
  return { ...topic, states };
}
