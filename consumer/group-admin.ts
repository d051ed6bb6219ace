import { KafkaAdmin, type OffsetSpec } from '../client/admin.js';
import { ZooKeeperBrokerDiscovery } from '../client/broker-discovery.js';
import { KafkaClient } from '../client/kafka-client.js';
import { ClusterState } from '../coordinator/cluster-state.js';
import { isZooKeeperError } from '../coordinator/zk-errors.js';
import { ZooKeeperSession } from '../coordinator/zk-session.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { ApiKey } from '../protocol/index.js';

/**
 * Inspection and repair of ZooKeeper consumer groups (`sluice groups …`): what each group has
 * committed, how far behind the log end it is, who owns what, and offset resets while it is stopped.
 */

export interface GroupPartitionDescription {
  topic: string;
  partition: number;
  /** Committed next offset to consume, or null when nothing was committed. */
  currentOffset: bigint | null;
  logEndOffset: bigint | null;
  /** logEndOffset − currentOffset (the whole log when nothing was committed), null if unknown. */
  lag: bigint | null;
  owner: string | null;
}

export interface GroupDescription {
  group: string;
  members: string[];
  generation: number | null;
  partitions: GroupPartitionDescription[];
}

export type OffsetResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'datetime'; timestampMs: number }
  | { kind: 'shift'; by: bigint }
  /** Per-partition offsets (kafka-consumer-groups --from-file); partitions not listed are left alone. */
  | { kind: 'offsets'; offsets: ReadonlyMap<number, bigint> };

export interface PlannedReset {
  topic: string;
  partition: number;
  currentOffset: bigint | null;
  newOffset: bigint;
}

/** The group has live members: offsets may only be reset while it is stopped. */
export class GroupActiveError extends Error {
  override readonly name = 'GroupActiveError';
  constructor(
    readonly group: string,
    readonly members: string[],
  ) {
    super(`group ${group} has ${members.length} live member(s); stop them first (${members.join(', ')})`);
  }
}

export class GroupNotFoundError extends Error {
  override readonly name = 'GroupNotFoundError';
  constructor(readonly group: string) {
    super(`group ${group} does not exist`);
  }
}

export class GroupAdmin {
  constructor(
    readonly state: ClusterState,
    readonly admin: KafkaAdmin,
    private readonly ownsSession: boolean,
  ) {}

  /** Opens a ZooKeeper session and finds brokers through it. */
  static async connect(zookeeper: string): Promise<GroupAdmin> {
    const session = await ZooKeeperSession.connect(zookeeper, { connectTimeoutMs: 10_000 });
    try {
      const state = new ClusterState(session);
      const discovery = await ZooKeeperBrokerDiscovery.fromClusterState(state);
      const client = new KafkaClient(discovery, {
        clientId: 'sluice-groups',
        connectTimeoutMs: 5_000,
        requestTimeoutMs: 30_000,
      });
      return new GroupAdmin(state, new KafkaAdmin(client), true);
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  listGroups(): Promise<string[]> {
    return this.state.listGroups();
  }

  async exists(group: string): Promise<boolean> {
    return (await this.state.listGroups()).includes(group);
  }

  /** Every partition of every topic the group subscribes to, owns or has offsets for. */
  async describeGroup(group: string): Promise<GroupDescription> {
    if (!(await this.exists(group))) throw new GroupNotFoundError(group);
    const members = await this.state.readConsumers(group);
    const assignment = await this.state.readGroupAssignment(group);
    const offsets = await this.state.readGroupOffsets(group);
    const topics = new Set<string>(offsets.keys());
    for (const member of members) for (const topic of Object.keys(member.subscription)) topics.add(topic);
    for (const topic of Object.keys(assignment?.value.partitions ?? {})) topics.add(topic);
    const partitions: GroupPartitionDescription[] = [];
    for (const topic of [...topics].sort()) {
      const ends = await this.admin.listOffsets(topic, 'latest').catch(() => null);
      const committed = offsets.get(topic) ?? new Map<number, bigint>();
      const ids = new Set<number>([...(ends?.keys() ?? []), ...committed.keys()]);
      for (const partition of [...ids].sort((a, b) => a - b)) {
        const currentOffset = committed.get(partition) ?? null;
        const logEndOffset = ends?.get(partition) ?? null;
        const lag =
          logEndOffset === null
            ? null
            : logEndOffset - (currentOffset ?? 0n) < 0n
              ? 0n
              : logEndOffset - (currentOffset ?? 0n);
        partitions.push({
          topic,
          partition,
          currentOffset,
          logEndOffset,
          lag,
          owner: await this.state.readPartitionOwner(group, { topic, partition }),
        });
      }
    }
    return {
      group,
      members: members.map((m) => m.consumerId).sort(),
      generation: assignment?.value.generation ?? null,
      partitions,
    };
  }

  /** The offsets a reset would write, clamped to each partition's [log start, log end]. */
  async planReset(group: string, topic: string, spec: OffsetResetSpec): Promise<PlannedReset[]> {
    await this.refuseIfActive(group);
    const [earliest, latest] = await Promise.all([
      this.admin.listOffsets(topic, 'earliest'),
      this.admin.listOffsets(topic, 'latest'),
    ]);
    const byTime =
      spec.kind === 'datetime'
        ? await this.admin.listOffsets(topic, { timestamp: BigInt(spec.timestampMs) } satisfies OffsetSpec)
        : undefined;
    const plan: PlannedReset[] = [];
    if (spec.kind === 'offsets') {
      const unknown = [...spec.offsets.keys()].filter((p) => !latest.has(p));
      if (unknown.length > 0)
        throw new KafkaProtocolError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `(${unknown.map((p) => `${topic}-${p}`).join(', ')})`,
        );
    }
    for (const partition of [...latest.keys()].sort((a, b) => a - b)) {
      if (spec.kind === 'offsets' && !spec.offsets.has(partition)) continue;
      const tp = { topic, partition };
      const currentOffset = await this.state.readOffset(group, tp);
      const low = earliest.get(partition) ?? 0n;
      const high = latest.get(partition)!;
      let target: bigint;
      switch (spec.kind) {
        case 'earliest':
          target = low;
          break;
        case 'latest':
          target = high;
          break;
        case 'offset':
          target = spec.offset;
          break;
        case 'datetime': {
          const found = byTime!.get(partition) ?? -1n;
          target = found < 0n ? high : found; // nothing at/after that time: the end
          break;
        }
        case 'shift':
          target = (currentOffset ?? low) + spec.by;
          break;
        case 'offsets':
          target = spec.offsets.get(partition)!;
          break;
      }
      plan.push({ ...tp, currentOffset, newOffset: target < low ? low : target > high ? high : target });
    }
    return plan;
  }

  /** Writes a plan; refused while the group has live members. */
  async executeReset(group: string, plan: readonly PlannedReset[]): Promise<void> {
    await this.refuseIfActive(group);
    for (const step of plan) await this.state.commitOffset(group, step, step.newOffset);
  }

  /** Deletes the group's nodes; refused while it has live members. */
  async deleteGroup(group: string): Promise<void> {
    if (!(await this.exists(group))) throw new GroupNotFoundError(group);
    try {
      await this.state.deleteGroup(group);
    } catch (error) {
      if (isZooKeeperError(error, 'NOTEMPTY')) {
        const members = await this.state.listConsumers(group);
        throw new GroupActiveError(group, members);
      }
      throw error;
    }
  }

  /**
   * Deletes the group's committed offsets for `topic` (the given partitions, or all of the topic's) with
   * OffsetDelete on the group's coordinator broker, which applies Kafka's rules to both kinds of group:
   * partitions of a topic a live member subscribes to are refused (GROUP_SUBSCRIBED_TO_TOPIC).
   * Returns each partition's error code (0 = deleted); a group-level error throws.
   */
  async deleteOffsets(
    group: string,
    topic: string,
    partitions: readonly number[] | null,
  ): Promise<Array<{ topic: string; partition: number; errorCode: number }>> {
    const chosen = partitions ?? [...(await this.admin.listOffsets(topic, 'latest')).keys()];
    const any = await this.admin.client.anyConnection();
    const found = await any.request(ApiKey.FindCoordinator, {
      key: group,
      keyType: 0,
      coordinatorKeys: [group],
    });
    const coordinator = found.coordinators?.[0] ?? {
      nodeId: found.nodeId ?? -1,
      errorCode: found.errorCode ?? 0,
    };
    if (coordinator.errorCode !== 0)
      throw new KafkaProtocolError(coordinator.errorCode, `(finding the coordinator of group ${group})`);
    const connection = await this.admin.client.connectionTo(coordinator.nodeId);
    const answer = await connection.request(ApiKey.OffsetDelete, {
      groupId: group,
      topics: [{ name: topic, partitions: chosen.map((partitionIndex) => ({ partitionIndex })) }],
    });
    if (answer.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new GroupNotFoundError(group);
    if (answer.errorCode !== 0) throw new KafkaProtocolError(answer.errorCode, `(group ${group})`);
    return answer.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })),
    );
  }

  async close(): Promise<void> {
    await this.admin.client.close();
    if (this.ownsSession) await this.state.session.close();
  }

  private async refuseIfActive(group: string): Promise<void> {
    // Reading the members of a group that does not exist would create its nodes (a dry run must not).
    if (!(await this.exists(group))) return;
    const members = await this.state.listConsumers(group);
    if (members.length > 0) throw new GroupActiveError(group, members);
  }
}
