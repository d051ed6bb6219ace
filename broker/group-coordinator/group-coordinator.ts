import { ErrorCode } from '../../protocol/errors.js';
import {
  clearOffsetMetadata,
  deleteCommittedOffset,
  readOffsetMetadata,
  writeOffsetMetadata,
} from '../../coordinator/group-offsets.js';
import type { ClusterState } from '../../coordinator/cluster-state.js';
import { isZooKeeperError } from '../../coordinator/zk-errors.js';
import { zkPaths } from '../../coordinator/zk-paths.js';
import {
  GroupKindConflictError,
  markBrokerCoordinated,
  unmarkBrokerCoordinated,
  zooKeeperMemberIds,
} from '../../coordinator/group-kind.js';
import type { Logger } from '../../log/logger.js';
import { coordinatorIdFor } from './coordinator-choice.js';
import { subscribedTopics } from './consumer-subscription.js';
import { ConsumerGroup, type JoinRequest, type JoinResult, type SyncResult } from './group.js';
import { KeyedSerialQueue, type SerialRunner } from '../../concurrency/serial-queue.js';

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string | null;
}

export interface OffsetFetchEntry {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string;
  errorCode: number;
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocolName: string;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

export interface GroupCoordinatorOptions {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
}

/**
 * The broker's group coordinator: owns the in-memory state of the groups hashed to this broker and
 * stores their offsets in ZooKeeper. State changes of a group run through that group's serial queue.
 * A group that hashes elsewhere (the live broker set changed) is dropped here; its members get
 * NOT_COORDINATOR, find the new coordinator and rejoin it, which rebuilds the group from the joins.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly queues = new KeyedSerialQueue<string>();
  /** Partitions whose offsets-metadata node this coordinator wrote (cleared by a later plain commit). */
  private readonly metadataWritten = new Set<string>();
  /** Groups whose /consumers/<g>/broker-coordinated/<brokerId> this coordinator holds. */
  private readonly marked = new Set<string>();

  constructor(
    private readonly brokerId: number,
    private readonly liveBrokerIds: () => number[],
    private readonly clusterState: ClusterState,
    private readonly options: GroupCoordinatorOptions,
    private readonly logger: Logger,
  ) {}

  coordinatorFor(groupId: string): number | null {
    return coordinatorIdFor(groupId, this.liveBrokerIds());
  }

  /** 0 when this broker coordinates the group, else NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE. */
  ownership(groupId: string): number {
    const id = this.coordinatorFor(groupId);
    if (id === this.brokerId) return 0;
    this.dropGroup(groupId);
    return id === null ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.NOT_COORDINATOR;
  }

  join(groupId: string, request: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number): JoinResult => ({
      errorCode,
      generationId: -1,
      protocolName: '',
      leader: '',
      memberId: request.memberId,
      members: [],
    });
    if (groupId === '') return Promise.resolve(fail(ErrorCode.INVALID_GROUP_ID));
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve(fail(owned));
    if (
      request.sessionTimeoutMs < this.options.minSessionTimeoutMs ||
      request.sessionTimeoutMs > this.options.maxSessionTimeoutMs
    ) {
      return Promise.resolve(fail(ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    return new Promise((resolve) => {
      void this.queue(groupId)
        .run(async () => {
          const conflict = await this.zooKeeperGroupConflict(groupId);
          if (conflict !== null) {
            this.logger.warn(
              { groupId, clientId: request.clientId, zooKeeperMembers: conflict },
              conflictMessage(groupId),
            );
            return resolve(fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
          }
          this.groupFor(groupId).join(request, resolve);
        })
        .catch((error: unknown) => {
          this.logger.warn({ err: error, groupId }, 'join failed');
          resolve(fail(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        });
    });
  }

  /**
   * A group id belongs to one kind of group at a time. Before a join, the coordinator marks the group
   * as broker-coordinated (ephemeral, while it has members) and then looks for ZooKeeper-group members;
   * if there are any, the join is refused and the ids of those members are returned.
   */
  private async zooKeeperGroupConflict(groupId: string): Promise<string[] | null> {
    if (!this.marked.has(groupId)) {
      await markBrokerCoordinated(this.clusterState, groupId, this.brokerId);
      this.marked.add(groupId);
    }
    const members = await zooKeeperMemberIds(this.clusterState, groupId);
    if (members.length === 0) return null;
    if ((this.groups.get(groupId)?.members.size ?? 0) === 0) await this.unmark(groupId);
    return members;
  }

  private async unmark(groupId: string): Promise<void> {
    if (!this.marked.delete(groupId)) return;
    await unmarkBrokerCoordinated(this.clusterState, groupId, this.brokerId).catch((error: unknown) =>
      this.logger.warn({ err: error, groupId }, 'could not remove the broker-coordinated marker'),
    );
  }

  sync(
    groupId: string,
    memberId: string,
    generationId: number,
    assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>,
    groupInstanceId: string | null = null,
  ): Promise<SyncResult> {
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve({ errorCode: owned, assignment: Buffer.alloc(0) });
    return new Promise((resolve) => {
      void this.queue(groupId).run(() => {
        const group = this.groups.get(groupId);
        if (!group) return resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
        group.sync(memberId, generationId, assignments, resolve, groupInstanceId);
      });
    });
  }

  heartbeat(
    groupId: string,
    memberId: string,
    generationId: number,
    groupInstanceId: string | null = null,
  ): Promise<number> {
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve(owned);
    return this.queue(groupId).run(
      () =>
        this.groups.get(groupId)?.heartbeat(memberId, generationId, groupInstanceId) ??
        ErrorCode.UNKNOWN_MEMBER_ID,
    );
  }

  leave(
    groupId: string,
    members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null }>,
  ): Promise<{ errorCode: number; members: number[] }> {
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve({ errorCode: owned, members: [] });
    return this.queue(groupId).run(() => {
      const group = this.groups.get(groupId);
      const codes = members.map((m) =>
        group ? group.leave(m.memberId, m.groupInstanceId) : ErrorCode.UNKNOWN_MEMBER_ID,
      );
      return { errorCode: 0, members: codes };
    });
  }

  /** Validates membership and writes the offsets; one error code per entry. */
  commitOffsets(
    groupId: string,
    memberId: string,
    generationId: number,
    entries: readonly OffsetCommitEntry[],
    groupInstanceId: string | null = null,
  ): Promise<number[]> {
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve(entries.map(() => owned));
    return this.queue(groupId).run(async () => {
      const group = this.groups.get(groupId);
      const error = group
        ? group.commitError(memberId, generationId, groupInstanceId)
        : generationId < 0
          ? 0
          : ErrorCode.UNKNOWN_MEMBER_ID;
      if (error !== 0) return entries.map(() => error);
      return Promise.all(entries.map((entry) => this.writeOffset(groupId, entry)));
    });
  }

  /** Committed offsets; `topics` null = every topic the group has offsets for. */
  async fetchOffsets(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null,
  ): Promise<{ errorCode: number; entries: OffsetFetchEntry[] }> {
    const owned = this.ownership(groupId);
    if (owned !== 0) return { errorCode: owned, entries: [] };
    const entries: OffsetFetchEntry[] = [];
    if (topics === null) {
      const all = await this.clusterState
        .readGroupOffsets(groupId)
        .catch(() => new Map<string, Map<number, bigint>>());
      for (const [topic, partitions] of all) {
        for (const [partition, offset] of partitions) {
          const metadata = await readOffsetMetadata(this.clusterState, groupId, { topic, partition });
          entries.push({ topic, partition, offset, metadata, errorCode: 0 });
        }
      }
      return { errorCode: 0, entries };
    }
    await Promise.all(
      topics.flatMap((t) =>
        t.partitionIndexes.map(async (partition) => {
          const tp = { topic: t.name, partition };
          const offset = await this.clusterState.readOffset(groupId, tp);
          const metadata = offset === null ? '' : await readOffsetMetadata(this.clusterState, groupId, tp);
          entries.push({ topic: t.name, partition, offset: offset ?? -1n, metadata, errorCode: 0 });
        }),
      ),
    );
    entries.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return { errorCode: 0, entries };
  }

  /** Groups this broker coordinates: live ones in memory, plus offset-only groups in ZooKeeper. */
  async listGroups(): Promise<Array<{ groupId: string; protocolType: string; state: string }>> {
    const result = new Map<string, { groupId: string; protocolType: string; state: string }>();
    for (const g of this.groups.values()) {
      if (g.state === 'Dead' || this.coordinatorFor(g.groupId) !== this.brokerId) continue;
      result.set(g.groupId, {
        groupId: g.groupId,
        protocolType: g.protocolType ?? 'consumer',
        state: g.state,
      });
    }
    for (const groupId of await this.clusterState.listGroups()) {
      if (result.has(groupId) || this.coordinatorFor(groupId) !== this.brokerId) continue;
      result.set(groupId, { groupId, protocolType: 'consumer', state: 'Empty' });
    }
    return [...result.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const base = { groupId, protocolType: '', protocolName: '', members: [] };
    const owned = this.ownership(groupId);
    if (owned !== 0) return { ...base, errorCode: owned, state: 'Dead' };
    const group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') {
      const known = (await this.clusterState.listGroups()).includes(groupId);
      return {
        ...base,
        errorCode: 0,
        state: known ? 'Empty' : 'Dead',
        protocolType: known ? 'consumer' : '',
      };
    }
    const stable = group.state === 'Stable';
    return {
      errorCode: 0,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? Buffer.alloc(0),
        assignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  /** Deletes groups without members (their offsets go too); NON_EMPTY_GROUP otherwise. */
  deleteGroup(groupId: string): Promise<number> {
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve(owned);
    return this.queue(groupId).run(async () => {
      const group = this.groups.get(groupId);
      if (group && group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
      const known = (await this.clusterState.listGroups()).includes(groupId);
      if (!known && !group) return ErrorCode.GROUP_ID_NOT_FOUND;
      if (known) {
        try {
          await this.clusterState.deleteGroup(groupId);
        } catch (error) {
          if (isZooKeeperError(error, 'NOTEMPTY')) return ErrorCode.NON_EMPTY_GROUP;
          if (!isZooKeeperError(error, 'NONODE')) throw error;
        }
      }
      this.dropGroup(groupId, ErrorCode.GROUP_ID_NOT_FOUND);
      return 0;
    });
  }

  /**
   * OffsetDelete (KIP-496): removes the group's committed offsets for the given partitions, except on
   * topics a live member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC per partition). Both kinds of group
   * count: members here, and ZooKeeper-group members in /consumers/<g>/ids. GROUP_ID_NOT_FOUND when
   * neither knows the group; NON_EMPTY_GROUP for a live group of another protocol type.
   */
  deleteOffsets(
    groupId: string,
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
  ): Promise<{ errorCode: number; codes: number[] }> {
    if (groupId === '') return Promise.resolve({ errorCode: ErrorCode.INVALID_GROUP_ID, codes: [] });
    const owned = this.ownership(groupId);
    if (owned !== 0) return Promise.resolve({ errorCode: owned, codes: [] });
    return this.queue(groupId).run(async () => {
      const group = this.groups.get(groupId);
      const live = group !== undefined && group.state !== 'Dead' && group.members.size > 0;
      const known = (await this.clusterState.listGroups()).includes(groupId);
      if (!known && !live) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, codes: [] };
      if (live && group.protocolType !== 'consumer')
        return { errorCode: ErrorCode.NON_EMPTY_GROUP, codes: [] };
      const subscribed = new Set<string>();
      for (const member of live ? group.members.values() : []) {
        for (const protocol of member.protocols)
          for (const topic of subscribedTopics(protocol.metadata) ?? []) subscribed.add(topic);
      }
      for (const member of known ? await zooKeeperMembers(this.clusterState, groupId) : [])
        for (const topic of Object.keys(member.subscription)) subscribed.add(topic);
      const codes: number[] = [];
      for (const tp of partitions) {
        if (subscribed.has(tp.topic)) {
          codes.push(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
          continue;
        }
        try {
          await deleteCommittedOffset(this.clusterState, groupId, tp);
          this.metadataWritten.delete(`${groupId}\u0000${tp.topic}\u0000${tp.partition}`);
          codes.push(0);
        } catch (error) {
          this.logger.warn({ err: error, groupId, ...tp }, 'offset delete failed');
          codes.push(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
      }
      return { errorCode: 0, codes };
    });
  }

  /** Stops every group's timers (broker shutdown). */
  close(): void {
    for (const id of [...this.groups.keys()]) this.dropGroup(id);
  }

  /** The in-memory group for the rebalance benchmark and tests. */
  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  private async writeOffset(groupId: string, entry: OffsetCommitEntry): Promise<number> {
    const tp = { topic: entry.topic, partition: entry.partition };
    const key = `${groupId}\u0000${entry.topic}\u0000${entry.partition}`;
    try {
      await this.clusterState.commitOffset(groupId, tp, entry.offset);
      if (entry.metadata) {
        await writeOffsetMetadata(this.clusterState, groupId, tp, entry.metadata);
        this.metadataWritten.add(key);
      } else if (this.metadataWritten.delete(key)) {
        await clearOffsetMetadata(this.clusterState, groupId, tp);
      }
      return 0;
    } catch (error) {
      this.logger.warn({ err: error, groupId, ...tp }, 'offset commit failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  private groupFor(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') {
      group = new ConsumerGroup(
        groupId,
        { initialRebalanceDelayMs: this.options.initialRebalanceDelayMs },
        (g, event) => {
          this.logger.info({ groupId: g.groupId, generation: g.generationId, state: g.state }, event);
          if (g.members.size === 0 && this.marked.has(g.groupId))
            void this.queue(g.groupId).run(async () => {
              if ((this.groups.get(g.groupId)?.members.size ?? 0) === 0) await this.unmark(g.groupId);
            });
        },
      );
      this.groups.set(groupId, group);
    }
    return group;
  }

  private queue(groupId: string): SerialRunner {
    return this.queues.lane(groupId);
  }

  private dropGroup(groupId: string, errorCode: number = ErrorCode.NOT_COORDINATOR): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    this.groups.delete(groupId);
    group.shutdown(errorCode);
    void this.unmark(groupId);
    this.logger.info({ groupId }, 'group state dropped');
  }
}

function conflictMessage(groupId: string): string {
  return `${new GroupKindConflictError(groupId, 'zookeeper').message}; JoinGroup answered INCONSISTENT_GROUP_PROTOCOL`;
}

/** The live members of a ZooKeeper group, read without creating the group's nodes. */
async function zooKeeperMembers(state: ClusterState, groupId: string) {
  if ((await state.session.exists(zkPaths.groupMembers(groupId))) === null) return [];
  return state.readConsumers(groupId);
}
