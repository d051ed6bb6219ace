import { isZooKeeperError, ZooKeeperError } from './zk-errors.js';
import type { MultiOp, Watcher, ZooKeeperSession } from './zk-session.js';
import {
  PRODUCER_ID_BLOCK_SIZE,
  TOP_LEVEL_PATHS,
  assertLegalName,
  decodeBrokerRegistration,
  decodeClusterId,
  decodeConsumerRegistration,
  decodeController,
  decodeControllerEpoch,
  decodeGroupAssignment,
  decodeLeaderAck,
  decodeOffset,
  decodePartitionState,
  decodeProducerIdBlock,
  decodeTopicAssignment,
  decodeTopicConfig,
  encodeBrokerRegistration,
  encodeClusterId,
  encodeConsumerRegistration,
  encodeController,
  encodeControllerEpoch,
  encodeGroupAssignment,
  encodeLeaderAck,
  encodeOffset,
  encodePartitionState,
  encodeProducerIdBlock,
  encodeTopicAssignment,
  encodeTopicConfig,
  newClusterId,
  zkPaths,
  type BrokerRegistration,
  type BrokerRegistrationInput,
  type ConsumerRegistration,
  type GroupAssignment,
  type LeaderAck,
  type PartitionState,
  type ProducerIdBlock,
  type ReplicaAssignment,
  type TopicConfig,
} from './zk-paths.js';
import type { TopicPartition } from '../protocol/topic-partition.js';

/**
 * The typed cluster-state layer: brokers, topics, partition state, the controller,
 * producer-id blocks and ZooKeeper consumer groups, read and written through one ZooKeeperSession.
 * Paths and JSON come from zk-paths.ts. Conditional writes return the znode version to pass next time;
 * a lost race surfaces as ZooKeeperError BADVERSION / NODEEXISTS for the caller to re-read and decide.
 */

/** A value with the znode version it was read at (Kafka calls this the zkVersion). */
export interface Versioned<T> {
  value: T;
  version: number;
}

export type ControllerElection =
  { elected: true; epoch: number; epochVersion: number } | { elected: false; controllerId: number | null };

async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (isZooKeeperError(error, 'NONODE')) return null;
    throw error;
  }
}

export class ClusterState {
  constructor(readonly session: ZooKeeperSession) {}

  /** Creates the persistent parents every broker expects (idempotent). */
  async ensureTopLevelPaths(): Promise<void> {
    for (const path of TOP_LEVEL_PATHS) await this.session.ensurePath(path);
  }

  ensurePath(path: string): Promise<void> {
    return this.session.ensurePath(path);
  }

  // ---- brokers ---------------------------------------------------------------------------------

  /** Registers this broker (ephemeral); NODEEXISTS if the id is taken by a live session. */
  async registerBroker(input: BrokerRegistrationInput): Promise<void> {
    await this.session.ensurePath(zkPaths.brokerIds);
    await this.session.create(zkPaths.broker(input.id), encodeBrokerRegistration(input), 'ephemeral');
  }

  /**
   * Registers now and again on every new session after an expiry (the ephemeral dies with the old
   * session). A node still held by another session (typically our own expired one, whose ephemerals
   * the server has not yet removed) is waited for up to two session timeouts; after that the id is
   * taken by a live broker and NODEEXISTS is thrown, as Kafka does.
   */
  async keepBrokerRegistered(input: BrokerRegistrationInput): Promise<() => void> {
    return this.session.onSessionEstablished(async () => {
      const deadline = Date.now() + 2 * this.session.negotiatedTimeoutMs;
      for (;;) {
        try {
          await this.registerBroker({ ...input, timestamp: Date.now() });
          return;
        } catch (error) {
          if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
          const holder = await this.session.watchExists(zkPaths.broker(input.id));
          if (holder.stat?.ephemeralOwner === this.session.sessionId) return;
          const remaining = deadline - Date.now();
          if (holder.stat !== null && remaining <= 0) throw error;
          if (holder.stat !== null) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([
              holder.next,
              new Promise((resolve) => (timer = setTimeout(resolve, remaining))),
            ]);
            clearTimeout(timer);
          }
        }
      }
    });
  }

  /**
   * Waits until /brokers/ids/<id> is gone (or held by this session), at most `timeoutMs`; true if it
   * went. The exists-watch fires when the holder's session ends and its ephemeral is removed.
   */
  async waitForBrokerRegistrationGone(id: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const holder = await this.session.watchExists(zkPaths.broker(id));
      if (holder.stat === null || holder.stat.ephemeralOwner === this.session.sessionId) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([holder.next, new Promise((resolve) => (timer = setTimeout(resolve, remaining)))]);
      clearTimeout(timer);
    }
  }

  async deregisterBroker(id: number): Promise<void> {
    await orNull(this.session.delete(zkPaths.broker(id)));
  }

  /** Live broker ids, ascending. The watcher fires once when the set changes. */
  async listBrokerIds(watcher?: Watcher): Promise<number[]> {
    await this.session.ensurePath(zkPaths.brokerIds);
    const { children } = await this.session.getChildren(zkPaths.brokerIds, watcher);
    return children
      .map(Number)
      .filter(Number.isInteger)
      .sort((a, b) => a - b);
  }

  async readBroker(id: number, watcher?: Watcher): Promise<BrokerRegistration | null> {
    const read = await orNull(this.session.getData(zkPaths.broker(id), watcher));
    return read === null ? null : decodeBrokerRegistration(id, read.data);
  }

  /** Every live broker (a broker that vanishes between list and read is left out). */
  async readBrokers(watcher?: Watcher): Promise<BrokerRegistration[]> {
    const ids = await this.listBrokerIds(watcher);
    const brokers = await Promise.all(ids.map((id) => this.readBroker(id)));
    return brokers.filter((b): b is BrokerRegistration => b !== null);
  }

  // ---- topics ----------------------------------------------------------------------------------

  /**
   * Creates a topic: its config and its replica assignment in one multi, so readers never see one
   * without the other. NODEEXISTS if the topic exists.
   */
  async createTopic(topic: string, assignment: ReplicaAssignment, config: TopicConfig = {}): Promise<void> {
    assertLegalName('topic', topic);
    if (assignment.length === 0) throw new Error(`topic ${topic}: at least one partition is required`);
    await this.session.ensurePath(zkPaths.topics);
    await this.session.ensurePath(zkPaths.topicConfigs);
    const ops: MultiOp[] = [];
    // A config left behind by a deleted topic is replaced, as Kafka does.
    const oldConfig = await this.session.exists(zkPaths.topicConfig(topic));
    if (oldConfig !== null) {
      ops.push({
        type: 'setData',
        path: zkPaths.topicConfig(topic),
        data: encodeTopicConfig(config),
        version: oldConfig.version,
      });
    } else {
      ops.push({ type: 'create', path: zkPaths.topicConfig(topic), data: encodeTopicConfig(config) });
    }
    ops.push({ type: 'create', path: zkPaths.topic(topic), data: encodeTopicAssignment(assignment) });
    await this.session.multi(ops);
  }

  /** Topic names, sorted. The watcher fires once when topics are created or deleted. */
  async listTopics(watcher?: Watcher): Promise<string[]> {
    await this.session.ensurePath(zkPaths.topics);
    const { children } = await this.session.getChildren(zkPaths.topics, watcher);
    return children.sort();
  }

  async readTopicAssignment(topic: string, watcher?: Watcher): Promise<Versioned<ReplicaAssignment> | null> {
    const read = await orNull(this.session.getData(zkPaths.topic(topic), watcher));
    return read === null
      ? null
      : { value: decodeTopicAssignment(topic, read.data), version: read.stat.version };
  }

  /** Rewrites the assignment (e.g. more partitions) if unchanged since `expectedVersion`. */
  async updateTopicAssignment(
    topic: string,
    assignment: ReplicaAssignment,
    expectedVersion: number,
  ): Promise<number> {
    const stat = await this.session.setData(
      zkPaths.topic(topic),
      encodeTopicAssignment(assignment),
      expectedVersion,
    );
    return stat.version;
  }

  async readTopicConfig(topic: string, watcher?: Watcher): Promise<TopicConfig | null> {
    const read = await orNull(this.session.getData(zkPaths.topicConfig(topic), watcher));
    return read === null ? null : decodeTopicConfig(topic, read.data);
  }

  async writeTopicConfig(topic: string, config: TopicConfig): Promise<void> {
    const path = zkPaths.topicConfig(topic);
    try {
      await this.session.setData(path, encodeTopicConfig(config));
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
      await this.session.ensurePath(zkPaths.topicConfigs);
      await this.session.create(path, encodeTopicConfig(config));
    }
  }

  // ---- partition state ---------------------------------------------------------------------------

  async readPartitionState(tp: TopicPartition, watcher?: Watcher): Promise<Versioned<PartitionState> | null> {
    const read = await orNull(this.session.getData(zkPaths.partitionState(tp), watcher));
    return read === null ? null : { value: decodePartitionState(tp, read.data), version: read.stat.version };
  }

  /**
   * Reads a partition's state; when the node does not exist yet (the topic was just created and its
   * states are still being written), `watcher` is armed to fire on its creation (watchCreationInTopic).
   */
  async readPartitionStateOrWatchCreation(
    tp: TopicPartition,
    watcher: Watcher,
  ): Promise<Versioned<PartitionState> | null> {
    const path = zkPaths.partitionState(tp);
    for (;;) {
      const read = await this.readPartitionState(tp, watcher);
      if (read !== null) return read;
      if ((await this.watchCreationInTopic(path, tp.topic, watcher)) !== 'appeared') return null;
    }
  }

  /**
   * A partition's leader acknowledgement, or null; `watching` says whether `watcher` is armed (on the
   * node, or for its creation). It is not once the whole topic is gone: nothing more will come.
   */
  async readLeaderAckOrWatchCreation(
    tp: TopicPartition,
    watcher: Watcher,
  ): Promise<{ ack: LeaderAck | null; watching: boolean }> {
    const path = zkPaths.partitionLeaderAck(tp);
    for (;;) {
      try {
        return { ack: decodeLeaderAck(tp, (await this.session.getData(path, watcher)).data), watching: true };
      } catch (error) {
        if (!isZooKeeperError(error, 'NONODE')) throw error;
      }
      const watch = await this.watchCreationInTopic(path, tp.topic, watcher);
      if (watch !== 'appeared') return { ack: null, watching: watch === 'watching' };
    }
  }

  /**
   * Arms `watcher` to fire once the missing node at `path` (inside `topic`'s subtree) may have been
   * created: a child watch on its nearest existing ancestor, up to the topic's node. An exists-watch
   * would do too, but one armed on a node that never comes (its topic was deleted meanwhile) stays on
   * the server for good, one per partition and broker for every deleted topic; a child watch on an
   * existing node is consumed when that node goes. 'appeared': the next node towards `path` exists
   * by now (read again); 'gone': even the topic's node is gone, nothing was armed.
   */
  private async watchCreationInTopic(
    path: string,
    topic: string,
    watcher: Watcher,
  ): Promise<'appeared' | 'watching' | 'gone'> {
    const topicPath = zkPaths.topic(topic);
    let below = path;
    for (;;) {
      const at = below.slice(0, below.lastIndexOf('/'));
      try {
        const { children } = await this.session.getChildren(at, watcher);
        return children.includes(below.slice(at.length + 1)) ? 'appeared' : 'watching';
      } catch (error) {
        if (!isZooKeeperError(error, 'NONODE')) throw error;
        if (at === topicPath) return 'gone';
      }
      below = at;
    }
  }

  /**
   * Writes a leader's acknowledgement, only while the partition state is still at `stateVersion`
   * (one atomic multi), so an ack never outlives the state it answers nor lands in a deleted topic.
   * Returns false when the state moved on or is gone (a newer state brings its own ack).
   */
  async writeLeaderAck(tp: TopicPartition, ack: LeaderAck, stateVersion: number): Promise<boolean> {
    const check = { type: 'check', path: zkPaths.partitionState(tp), version: stateVersion } as const;
    const path = zkPaths.partitionLeaderAck(tp);
    const data = encodeLeaderAck(ack);
    for (const write of [{ type: 'setData', path, data } as const, { type: 'create', path, data } as const]) {
      try {
        await this.session.multi([check, write]);
        return true;
      } catch (error) {
        if (!isZooKeeperError(error)) throw error;
        const failedOnAck = 'failedOpIndex' in error && error.failedOpIndex === 1;
        // The ack node is missing (setData) or was just created by an earlier write (create): next form.
        if (failedOnAck && isZooKeeperError(error, 'NONODE', 'NODEEXISTS')) continue;
        if (isZooKeeperError(error, 'BADVERSION', 'NONODE')) return false;
        throw error;
      }
    }
    return false;
  }

  /**
   * Writes the first state of a partition (creating /partitions/<p> as needed). With
   * `controllerEpochVersion`, only while that controller epoch is current (fencing). Returns version 0.
   */
  async createPartitionState(
    tp: TopicPartition,
    state: PartitionState,
    controllerEpochVersion?: number,
  ): Promise<number> {
    await this.session.ensurePath(zkPaths.partition(tp));
    const create: MultiOp = {
      type: 'create',
      path: zkPaths.partitionState(tp),
      data: encodePartitionState(state),
    };
    if (controllerEpochVersion === undefined)
      await this.session.create(create.path, encodePartitionState(state));
    else await this.fencedMulti(controllerEpochVersion, [create]);
    return 0;
  }

  /**
   * Conditional update of a partition's leader/ISR: succeeds only if the znode is still at
   * `expectedVersion` (and, when given, the controller epoch still at `controllerEpochVersion`).
   * Returns the new znode version; throws BADVERSION when someone else wrote first.
   */
  async updatePartitionState(
    tp: TopicPartition,
    state: PartitionState,
    expectedVersion: number,
    controllerEpochVersion?: number,
  ): Promise<number> {
    const path = zkPaths.partitionState(tp);
    const data = encodePartitionState(state);
    if (controllerEpochVersion === undefined) {
      return (await this.session.setData(path, data, expectedVersion)).version;
    }
    const results = await this.fencedMulti(controllerEpochVersion, [
      { type: 'setData', path, data, version: expectedVersion },
    ]);
    const set = results[1];
    if (set?.type !== 'setData') throw new Error('multi returned no setData result');
    return set.stat.version;
  }

  // ---- controller ------------------------------------------------------------------------------

  /**
   * Tries to become controller as Kafka does: in one multi, check /controller_epoch is unchanged,
   * create the ephemeral /controller, and bump the epoch. Losing to a live controller is not an error.
   */
  async electController(brokerId: number): Promise<ControllerElection> {
    for (;;) {
      const epoch = await this.readControllerEpoch();
      try {
        const results = await this.session.multi([
          { type: 'check', path: zkPaths.controllerEpoch, version: epoch.version },
          { type: 'create', path: zkPaths.controller, data: encodeController(brokerId), mode: 'ephemeral' },
          {
            type: 'setData',
            path: zkPaths.controllerEpoch,
            data: encodeControllerEpoch(epoch.value + 1),
            version: epoch.version,
          },
        ]);
        const set = results[2];
        if (set?.type !== 'setData') throw new Error('multi returned no setData result');
        return { elected: true, epoch: epoch.value + 1, epochVersion: set.stat.version };
      } catch (error) {
        if (isZooKeeperError(error, 'NODEEXISTS')) {
          return { elected: false, controllerId: await this.readControllerId() };
        }
        if (isZooKeeperError(error, 'BADVERSION')) continue; // another election moved the epoch; re-read
        throw error;
      }
    }
  }

  /** The controller's broker id, or null when there is none. The watcher fires on change/deletion. */
  async readControllerId(watcher?: Watcher): Promise<number | null> {
    if (watcher) {
      const stat = await this.session.exists(zkPaths.controller, watcher);
      if (stat === null) return null;
    }
    const read = await orNull(this.session.getData(zkPaths.controller));
    return read === null ? null : decodeController(read.data).brokerId;
  }

  /** The controller epoch (0 before the first election), creating /controller_epoch if absent. */
  async readControllerEpoch(): Promise<Versioned<number>> {
    for (;;) {
      const read = await orNull(this.session.getData(zkPaths.controllerEpoch));
      if (read !== null) return { value: decodeControllerEpoch(read.data), version: read.stat.version };
      try {
        await this.session.create(zkPaths.controllerEpoch, encodeControllerEpoch(0));
      } catch (error) {
        if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
      }
    }
  }

  /** Gives up the controller role (only if /controller is still ours). */
  async resignController(brokerId: number): Promise<void> {
    const read = await orNull(this.session.getData(zkPaths.controller));
    if (read === null || decodeController(read.data).brokerId !== brokerId) return;
    await orNull(this.session.delete(zkPaths.controller, read.stat.version));
  }

  /**
   * A multi that commits only while /controller_epoch is at `controllerEpochVersion`: a controller
   * that was replaced gets BADVERSION on op 0 instead of overwriting its successor's decisions.
   */
  fencedMulti(controllerEpochVersion: number, ops: MultiOp[]) {
    return this.session.multi([
      { type: 'check', path: zkPaths.controllerEpoch, version: controllerEpochVersion },
      ...ops,
    ]);
  }

  // ---- topic deletion --------------------------------------------------------------------------

  /** Marks a topic for deletion; the controller does the rest. NONODE if the topic does not exist. */
  async requestTopicDeletion(topic: string): Promise<void> {
    if ((await this.session.exists(zkPaths.topic(topic))) === null) {
      throw new ZooKeeperError(-101, zkPaths.topic(topic), 'requestTopicDeletion');
    }
    await this.session.ensurePath(zkPaths.deleteTopics);
    try {
      await this.session.create(zkPaths.deleteTopic(topic));
    } catch (error) {
      if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
    }
  }

  async listTopicDeletions(watcher?: Watcher): Promise<string[]> {
    await this.session.ensurePath(zkPaths.deleteTopics);
    return (await this.session.getChildren(zkPaths.deleteTopics, watcher)).children.sort();
  }

  /** The controller's last step: remove the topic's nodes, its config, then the deletion request. */
  async completeTopicDeletion(topic: string): Promise<void> {
    await this.session.deleteRecursive(zkPaths.topic(topic));
    await this.session.deleteRecursive(zkPaths.topicConfig(topic));
    await orNull(this.session.delete(zkPaths.deleteTopic(topic)));
  }

  // ---- cluster id ------------------------------------------------------------------------------

  /** The cluster id, created (random, Kafka's format) by whoever asks first. */
  async getOrCreateClusterId(proposed: string = newClusterId()): Promise<string> {
    const existing = await orNull(this.session.getData(zkPaths.clusterId));
    if (existing !== null) return decodeClusterId(existing.data);
    await this.session.ensurePath('/cluster');
    try {
      await this.session.create(zkPaths.clusterId, encodeClusterId(proposed));
      return proposed;
    } catch (error) {
      if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
      return decodeClusterId((await this.session.getData(zkPaths.clusterId)).data);
    }
  }

  // ---- producer ids ----------------------------------------------------------------------------

  /**
   * Claims the next block of producer ids for `brokerId` with a conditional update, retrying when
   * another broker claims a block at the same time. Blocks never overlap.
   */
  async allocateProducerIdBlock(
    brokerId: number,
    blockSize: bigint = PRODUCER_ID_BLOCK_SIZE,
  ): Promise<ProducerIdBlock> {
    for (;;) {
      const read = await orNull(this.session.getData(zkPaths.producerIdBlock));
      if (read === null) {
        try {
          await this.session.create(zkPaths.producerIdBlock);
        } catch (error) {
          if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
        }
        continue;
      }
      const previous = decodeProducerIdBlock(read.data);
      const blockStart = previous === null ? 0n : previous.blockEnd + 1n;
      const block: ProducerIdBlock = { brokerId, blockStart, blockEnd: blockStart + blockSize - 1n };
      try {
        await this.session.setData(zkPaths.producerIdBlock, encodeProducerIdBlock(block), read.stat.version);
        return block;
      } catch (error) {
        if (!isZooKeeperError(error, 'BADVERSION')) throw error;
      }
    }
  }

  // ---- ZooKeeper consumer groups ------------------------------------------------------------------

  async listGroups(): Promise<string[]> {
    await this.session.ensurePath(zkPaths.consumers);
    return (await this.session.getChildren(zkPaths.consumers)).children.sort();
  }

  /** Joins a group: the ephemeral /consumers/<g>/ids/<consumerId> with the subscription. */
  async registerConsumer(group: string, consumerId: string, topics: readonly string[]): Promise<void> {
    assertLegalName('group', group);
    assertLegalName('consumer id', consumerId);
    await this.session.ensurePath(zkPaths.groupMembers(group));
    await this.session.create(
      zkPaths.groupMember(group, consumerId),
      encodeConsumerRegistration(topics),
      'ephemeral',
    );
  }

  /** Member ids, sorted. The watcher fires once when members join or leave. */
  async listConsumers(group: string, watcher?: Watcher): Promise<string[]> {
    await this.session.ensurePath(zkPaths.groupMembers(group));
    return (await this.session.getChildren(zkPaths.groupMembers(group), watcher)).children.sort();
  }

  /** Members with their registrations and czxid (the oldest member, lowest czxid, leads). */
  async readConsumers(
    group: string,
    watcher?: Watcher,
  ): Promise<Array<{ consumerId: string; czxid: bigint } & ConsumerRegistration>> {
    const ids = await this.listConsumers(group, watcher);
    const members = await Promise.all(
      ids.map(async (consumerId) => {
        const read = await orNull(this.session.getData(zkPaths.groupMember(group, consumerId)));
        return read === null
          ? null
          : { consumerId, czxid: read.stat.czxid, ...decodeConsumerRegistration(consumerId, read.data) };
      }),
    );
    return members.filter((m): m is NonNullable<typeof m> => m !== null);
  }

  /**
   * Claims a partition for `consumerId` (ephemeral owner node). Returns null on success, or the current
   * owner's id when another member still holds it.
   */
  async claimPartition(group: string, tp: TopicPartition, consumerId: string): Promise<string | null> {
    const path = zkPaths.partitionOwner(group, tp);
    await this.session.ensurePath(zkPaths.groupTopicOwners(group, tp.topic));
    try {
      await this.session.create(path, Buffer.from(consumerId, 'utf8'), 'ephemeral');
      return null;
    } catch (error) {
      if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
      const owner = await this.readPartitionOwner(group, tp);
      if (owner === consumerId) return null;
      return owner ?? (await this.claimPartition(group, tp, consumerId));
    }
  }

  /** Releases a partition if `consumerId` owns it. */
  async releasePartition(group: string, tp: TopicPartition, consumerId: string): Promise<void> {
    const read = await orNull(this.session.getData(zkPaths.partitionOwner(group, tp)));
    if (read === null || read.data.toString('utf8') !== consumerId) return;
    try {
      await this.session.delete(zkPaths.partitionOwner(group, tp), read.stat.version);
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE', 'BADVERSION')) throw error;
    }
  }

  /** The owning consumer id, or null. The watcher (an exists watch) fires when ownership changes. */
  async readPartitionOwner(group: string, tp: TopicPartition, watcher?: Watcher): Promise<string | null> {
    const path = zkPaths.partitionOwner(group, tp);
    if (watcher) {
      const stat = await this.session.exists(path, watcher);
      if (stat === null) return null;
    }
    const read = await orNull(this.session.getData(path));
    return read === null ? null : read.data.toString('utf8');
  }

  /** Stores the next offset to consume. */
  async commitOffset(group: string, tp: TopicPartition, offset: bigint | number): Promise<void> {
    const path = zkPaths.partitionOffset(group, tp);
    try {
      await this.session.setData(path, encodeOffset(offset));
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
      await this.session.ensurePath(zkPaths.groupTopicOffsets(group, tp.topic));
      try {
        await this.session.create(path, encodeOffset(offset));
      } catch (raced) {
        if (!isZooKeeperError(raced, 'NODEEXISTS')) throw raced;
        await this.session.setData(path, encodeOffset(offset));
      }
    }
  }

  async readOffset(group: string, tp: TopicPartition): Promise<bigint | null> {
    const read = await orNull(this.session.getData(zkPaths.partitionOffset(group, tp)));
    return read === null ? null : decodeOffset(read.data);
  }

  /** Every committed offset of a group: topic → partition → offset. */
  async readGroupOffsets(group: string): Promise<Map<string, Map<number, bigint>>> {
    const result = new Map<string, Map<number, bigint>>();
    const topics = await orNull(this.session.getChildren(zkPaths.groupOffsets(group)));
    for (const topic of topics?.children.sort() ?? []) {
      const partitions = await orNull(this.session.getChildren(zkPaths.groupTopicOffsets(group, topic)));
      const offsets = new Map<number, bigint>();
      for (const p of partitions?.children ?? []) {
        const offset = await this.readOffset(group, { topic, partition: Number(p) });
        if (offset !== null) offsets.set(Number(p), offset);
      }
      result.set(topic, new Map([...offsets].sort((a, b) => a[0] - b[0])));
    }
    return result;
  }

  async readGroupAssignment(group: string, watcher?: Watcher): Promise<Versioned<GroupAssignment> | null> {
    const path = zkPaths.groupAssignment(group);
    if (watcher) {
      const stat = await this.session.exists(path, watcher);
      if (stat === null) return null;
    }
    const read = await orNull(this.session.getData(path));
    return read === null
      ? null
      : { value: decodeGroupAssignment(group, read.data), version: read.stat.version };
  }

  /**
   * Publishes a generation's assignment: creates the node when `expectedVersion` is null, otherwise
   * replaces it only at that version. Returns the new version.
   */
  async writeGroupAssignment(
    group: string,
    assignment: GroupAssignment,
    expectedVersion: number | null,
  ): Promise<number> {
    const path = zkPaths.groupAssignment(group);
    if (expectedVersion === null) {
      await this.session.ensurePath(zkPaths.group(group));
      await this.session.create(path, encodeGroupAssignment(assignment));
      return 0;
    }
    return (await this.session.setData(path, encodeGroupAssignment(assignment), expectedVersion)).version;
  }

  /** Removes a group that has no live members; NOTEMPTY if members remain. */
  async deleteGroup(group: string): Promise<void> {
    const members = await orNull(this.session.getChildren(zkPaths.groupMembers(group)));
    if (members !== null && members.children.length > 0) {
      throw new ZooKeeperError(-111, zkPaths.groupMembers(group), 'deleteGroup');
    }
    await this.session.deleteRecursive(zkPaths.group(group));
  }
}
