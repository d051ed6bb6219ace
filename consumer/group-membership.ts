import { EventEmitter } from 'node:events';
import type { ClusterState } from '../coordinator/cluster-state.js';
import { brokerCoordinators, GroupKindConflictError } from '../coordinator/group-kind.js';
import { isZooKeeperError } from '../coordinator/zk-errors.js';
import { zkPaths, type GroupAssignment } from '../coordinator/zk-paths.js';
import { topicPartitionKey, type TopicPartition } from '../protocol/topic-partition.js';
import type { WatchEvent } from '../coordinator/zk-session.js';
import { componentLogger, type Logger } from '../log/logger.js';
import { partitionsOf, sameAssignment, type Assignor, type AssignorMember } from './assignors.js';
import { SerialQueue } from '../concurrency/serial-queue.js';

/**
 * Membership of one consumer in a ZooKeeper group, the leader-published design:
 *
 * - Join: the ephemeral /consumers/<g>/ids/<consumerId> carries the subscription.
 * - The member whose ids node is oldest (lowest czxid) leads. It alone watches the member list and the
 *   subscribed topics, computes the assignment and publishes a new generation in
 *   /consumers/<g>/assignment (conditional on the version it read) with the member list it saw. Other
 *   members watch only the leader's ids node, to take over when it goes (no herd on the member list).
 * - Every member watches the assignment node and acts only on published generations: it hands back
 *   what it lost (the owner callback stops fetching and commits, then the owner node is deleted), and
 *   claims what it gained by creating the ephemeral owner node — when a previous owner still holds it,
 *   it waits for that node's deletion (exists watch) instead of retrying blind, for as long as the
 *   partition stays assigned to it. Nothing gives up while the group is healthy.
 * - Exclusivity rests on the owner nodes alone: a stale leader can publish a bad generation, but no two
 *   members can hold one owner node, and a member fetches only what it holds.
 * - Session safety: on 'disconnected' the owner is told to suspend at once (no delivery, no commits);
 *   after `disconnectGraceMs` without reconnecting, or at once on 'expired', everything is dropped
 *   locally without committing, because the server may already have handed the partitions to others.
 *
 * All state changes run on one serial queue; claim waits run beside it and post back to it.
 */

export interface OwnershipHandler {
  /** Start fetching a partition this member now holds. */
  onAssigned(tp: TopicPartition, generation: number): Promise<void>;
  /** Stop fetching and commit; the owner node is deleted once this resolves. */
  onRevoked(tps: TopicPartition[]): Promise<void>;
  /** The partitions may already belong to someone else: stop at once, commit nothing. */
  onLost(tps: TopicPartition[]): void;
  /** Connection to ZooKeeper lost: pause delivery and commits until onResume or onLost. */
  onSuspend(): void;
  onResume(): void;
}

export interface GenerationEvent {
  generation: number;
  owned: TopicPartition[];
  /** From seeing the generation to holding every partition it gives this member. */
  durationMs: number;
}

interface MembershipEvents {
  /** This member now holds everything the generation assigns it. */
  generation: [GenerationEvent];
  /** This member published a generation as leader. */
  published: [GroupAssignment];
  error: [Error];
}

export interface GroupMembershipOptions {
  state: ClusterState;
  groupId: string;
  consumerId: string;
  topics: readonly string[];
  assignor: Assignor;
  handler: OwnershipHandler;
  /** How long a disconnected member keeps its partitions (suspended) before dropping them. */
  disconnectGraceMs?: number;
}

type SuspendReason = 'disconnected' | 'silent';

interface Claim {
  tp: TopicPartition;
  abort: AbortController;
}

export class GroupMembership extends EventEmitter<MembershipEvents> {
  private readonly log: Logger;
  private readonly queue = new SerialQueue();
  private readonly owned = new Map<string, TopicPartition>();
  private readonly claims = new Map<string, Claim>();
  private target = new Set<string>();
  private currentGeneration = -1;
  private generationSeenAt = 0;
  private generationReported = true;
  private closed = false;
  private unregisterHook: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly suspendReasons = new Set<SuspendReason>();
  private watchdog: NodeJS.Timeout | undefined;
  private lastAnsweredSentAt = Date.now();
  private needsRejoin = false;
  private readonly sessionListeners: Array<[string, () => void]> = [];

  constructor(private readonly options: GroupMembershipOptions) {
    super();
    this.log = componentLogger('consumer-group', { group: options.groupId, consumer: options.consumerId });
  }

  get consumerId(): string {
    return this.options.consumerId;
  }

  get generation(): number {
    return this.currentGeneration;
  }

  /** Partitions held now (owner node created by us and handed to the owner). */
  ownedPartitions(): TopicPartition[] {
    return [...this.owned.values()];
  }

  isOwned(tp: TopicPartition): boolean {
    return !this.suspended && this.owned.has(topicPartitionKey(tp));
  }

  /** Registers, and re-registers on every new session after an expiry. */
  async join(): Promise<void> {
    const session = this.options.state.session;
    const on = (event: 'connected' | 'disconnected' | 'expired', listener: () => void) => {
      session.on(event, listener);
      this.sessionListeners.push([event, listener]);
    };
    on('disconnected', () => this.onDisconnected());
    on('connected', () => this.onConnected());
    on('expired', () => this.dropEverything('session expired'));
    this.startWatchdog();
    this.unregisterHook = await session.onSessionEstablished(async () => {
      if (this.closed) return;
      try {
        await this.options.state.registerConsumer(
          this.options.groupId,
          this.options.consumerId,
          this.options.topics,
        );
      } catch (error) {
        if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
      }
      await this.refuseIfBrokerCoordinated();
      this.enqueue(() => this.evaluateLeadership());
      this.enqueue(() => this.readAssignment());
    });
  }

  /**
   * A group id belongs to one kind of group at a time (coordinator/group-kind.ts): registered first,
   * then looking for a broker coordinator's marker, so that of two starting at once one sees the
   * other. If Kafka-protocol members hold the group, this member takes its node back and fails.
   */
  private async refuseIfBrokerCoordinated(): Promise<void> {
    const { state, groupId, consumerId } = this.options;
    const coordinators = await brokerCoordinators(state, groupId);
    if (coordinators.length === 0) return;
    await state.session.delete(zkPaths.groupMember(groupId, consumerId)).catch(() => undefined);
    const error = new GroupKindConflictError(groupId, 'broker-coordinated');
    this.log.warn({ coordinators }, error.message);
    throw error;
  }

  /** Waits until every queued state change has run (tests and close). */
  settled(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Leaves: stops claiming, hands back held partitions (owner commits), deletes the owner nodes and
   * the ids node. The caller closes the session afterwards.
   */
  async leave(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unregisterHook?.();
    clearTimeout(this.graceTimer);
    clearInterval(this.watchdog);
    for (const [event, listener] of this.sessionListeners)
      this.options.state.session.off(event as 'connected', listener);
    for (const claim of this.claims.values()) claim.abort.abort();
    this.claims.clear();
    await this.queue.idle();
    const held = [...this.owned.values()];
    // Still owned while the owner commits; only then forgotten and released.
    if (held.length > 0 && !this.suspended) await this.options.handler.onRevoked(held);
    else if (held.length > 0) this.options.handler.onLost(held);
    this.owned.clear();
    const { state, groupId, consumerId } = this.options;
    await Promise.all(
      held.map((tp) => state.releasePartition(groupId, tp, consumerId).catch(() => undefined)),
    );
    await state.session.delete(zkPaths.groupMember(groupId, consumerId)).catch(() => undefined);
  }

  // ---- the serial queue ---------------------------------------------------------------------------

  private enqueue(task: () => Promise<void>): void {
    void this.queue
      .run(() => (this.closed ? undefined : task()))
      .catch((error: unknown) => {
        if (this.closed) return;
        this.log.warn({ err: error }, 'group task failed; retrying shortly');
        this.emit('error', error as Error);
        // A failed read leaves a watch unarmed: re-run both duties after a pause.
        setTimeout(() => {
          this.enqueue(() => this.evaluateLeadership());
          this.enqueue(() => this.readAssignment());
        }, 250).unref();
      });
  }

  private watcher(task: () => Promise<void>) {
    return (event: WatchEvent) => {
      // After an expiry the session hook re-arms everything.
      if (event.type !== 'sessionExpired' && !this.closed) this.enqueue(task);
    };
  }

  // ---- leader duty --------------------------------------------------------------------------------

  private async evaluateLeadership(): Promise<void> {
    const { state, groupId, consumerId } = this.options;
    const members = await state.readConsumers(groupId);
    if (members.length === 0) return;
    const leader = members.reduce((a, b) => (b.czxid < a.czxid ? b : a));
    if (leader.consumerId !== consumerId) {
      // Follow the leader only: when its node goes, see whether we lead now.
      const stat = await state.session.exists(
        zkPaths.groupMember(groupId, leader.consumerId),
        this.watcher(() => this.evaluateLeadership()),
      );
      if (stat === null) this.enqueue(() => this.evaluateLeadership());
      return;
    }
    await this.publishIfChanged();
  }

  /** As leader: re-read members (watching them) and topics (watching them), publish if different. */
  private async publishIfChanged(): Promise<void> {
    const { state, groupId, consumerId } = this.options;
    const again = this.watcher(() => this.evaluateLeadership());
    const members = await state.readConsumers(groupId, again);
    if (!members.some((m) => m.consumerId === consumerId)) return; // our node is gone: not leading
    const oldest = members.reduce((a, b) => (b.czxid < a.czxid ? b : a));
    if (oldest.consumerId !== consumerId) return this.evaluateLeadership();
    const subscribers: AssignorMember[] = members.map((m) => ({
      consumerId: m.consumerId,
      topics: Object.keys(m.subscription),
    }));
    const topics = [...new Set(subscribers.flatMap((m) => m.topics))].sort();
    const partitionCounts = new Map<string, number>();
    for (const topic of topics) {
      const assignment = await state.readTopicAssignment(topic, again);
      if (assignment === null) {
        // Not created yet: watch for its creation.
        await state.session.exists(zkPaths.topic(topic), again);
        continue;
      }
      partitionCounts.set(topic, assignment.value.length);
    }
    const partitions = this.options.assignor(subscribers, partitionCounts);
    const memberIds = members.map((m) => m.consumerId).sort();
    const published = await state.readGroupAssignment(groupId);
    if (
      published !== null &&
      published.value.members.join(',') === memberIds.join(',') &&
      sameAssignment(published.value.partitions, partitions)
    )
      return;
    const next: GroupAssignment = {
      generation: (published?.value.generation ?? 0) + 1,
      members: memberIds,
      partitions,
    };
    try {
      await state.writeGroupAssignment(groupId, next, published?.version ?? null);
    } catch (error) {
      if (!isZooKeeperError(error, 'BADVERSION', 'NODEEXISTS')) throw error;
      // Someone (a former leader) wrote in between: read again and decide again.
      this.enqueue(() => this.evaluateLeadership());
      return;
    }
    this.log.debug({ generation: next.generation, members: memberIds.length }, 'published generation');
    this.emit('published', next);
  }

  // ---- member duty --------------------------------------------------------------------------------

  private async readAssignment(): Promise<void> {
    const { state, groupId, consumerId } = this.options;
    const published = await state.readGroupAssignment(
      groupId,
      this.watcher(() => this.readAssignment()),
    );
    if (published === null || published.value.generation === this.currentGeneration) return;
    const generation = published.value;
    this.currentGeneration = generation.generation;
    this.generationSeenAt = Date.now();
    this.generationReported = false;
    const mine = generation.members.includes(consumerId)
      ? partitionsOf(generation.partitions, consumerId)
      : [];
    this.target = new Set(mine.map(topicPartitionKey));
    this.log.debug({ generation: generation.generation, assigned: [...this.target] }, 'acting on generation');

    for (const [key, claim] of this.claims) {
      if (!this.target.has(key)) {
        claim.abort.abort();
        this.claims.delete(key);
      }
    }
    const lost = [...this.owned].filter(([key]) => !this.target.has(key)).map(([, tp]) => tp);
    if (lost.length > 0) await this.release(lost);
    for (const tp of mine) {
      const key = topicPartitionKey(tp);
      if (!this.owned.has(key) && !this.claims.has(key)) this.startClaim(tp);
    }
    this.reportIfComplete();
  }

  /** Hands partitions back: the owner stops and commits, then the owner nodes go. */
  private async release(tps: TopicPartition[]): Promise<void> {
    // Still owned while the owner commits; only then forgotten and released.
    if (!this.suspended) await this.options.handler.onRevoked(tps);
    else this.options.handler.onLost(tps);
    for (const tp of tps) this.owned.delete(topicPartitionKey(tp));
    const { state, groupId, consumerId } = this.options;
    await Promise.all(tps.map((tp) => state.releasePartition(groupId, tp, consumerId)));
  }

  private startClaim(tp: TopicPartition): void {
    const claim: Claim = { tp, abort: new AbortController() };
    const key = topicPartitionKey(tp);
    this.claims.set(key, claim);
    void this.claimUntilHeld(claim).then(
      (held) => {
        if (!held) return;
        this.enqueue(async () => {
          if (this.claims.get(key) !== claim) {
            // Superseded while we were creating the node: hand it straight back.
            await this.options.state.releasePartition(this.options.groupId, tp, this.options.consumerId);
            return;
          }
          this.claims.delete(key);
          this.owned.set(key, tp);
          await this.options.handler.onAssigned(tp, this.currentGeneration);
          this.reportIfComplete();
        });
      },
      (error: unknown) => {
        if (this.claims.get(key) === claim) this.claims.delete(key);
        this.log.warn({ err: error, partition: key }, 'claim failed; re-reading the assignment');
        this.enqueue(async () => {
          this.currentGeneration = -1; // force re-evaluation of the same generation
          await this.readAssignment();
        });
      },
    );
  }

  /** Creates the owner node, waiting on the holder's node deletion as often as needed. */
  private async claimUntilHeld(claim: Claim): Promise<boolean> {
    const { state, groupId, consumerId } = this.options;
    const path = zkPaths.partitionOwner(groupId, claim.tp);
    const aborted = new Promise<'aborted'>((resolve) =>
      claim.abort.signal.addEventListener('abort', () => resolve('aborted'), { once: true }),
    );
    while (!claim.abort.signal.aborted && !this.closed) {
      if (this.suspended) {
        await Promise.race([aborted, new Promise((r) => setTimeout(r, 100))]);
        continue;
      }
      const holder = await state.claimPartition(groupId, claim.tp, consumerId);
      if (holder === null) return !claim.abort.signal.aborted || this.releaseAfterAbort(claim.tp);
      this.log.debug({ partition: topicPartitionKey(claim.tp), holder }, 'waiting for the previous owner');
      const watch = await state.session.watchExists(path);
      if (watch.stat === null) continue;
      await Promise.race([watch.next, aborted]);
    }
    return false;
  }

  private async releaseAfterAbort(tp: TopicPartition): Promise<false> {
    await this.options.state.releasePartition(this.options.groupId, tp, this.options.consumerId);
    return false;
  }

  private reportIfComplete(): void {
    if (this.generationReported || this.claims.size > 0) return;
    if ([...this.target].some((key) => !this.owned.has(key))) return;
    this.generationReported = true;
    const event: GenerationEvent = {
      generation: this.currentGeneration,
      owned: this.ownedPartitions(),
      durationMs: Date.now() - this.generationSeenAt,
    };
    this.log.debug(
      { generation: event.generation, owned: event.owned.map(topicPartitionKey), ms: event.durationMs },
      'generation applied',
    );
    this.emit('generation', event);
  }

  // ---- session safety -----------------------------------------------------------------------------

  private get suspended(): boolean {
    return this.suspendReasons.size > 0;
  }

  private suspend(reason: SuspendReason): void {
    if (this.closed || this.suspendReasons.has(reason)) return;
    const wasSuspended = this.suspended;
    this.suspendReasons.add(reason);
    if (!wasSuspended) {
      this.log.warn({ reason }, 'suspending delivery');
      this.options.handler.onSuspend();
    }
  }

  private unsuspend(reason: SuspendReason): void {
    if (!this.suspendReasons.delete(reason) || this.suspended || this.closed) return;
    this.log.info('resuming delivery');
    this.options.handler.onResume();
    this.maybeRejoin();
  }

  private onDisconnected(): void {
    if (this.closed) return;
    this.suspend('disconnected');
    const grace =
      this.options.disconnectGraceMs ?? Math.floor(this.options.state.session.negotiatedTimeoutMs / 2);
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.dropEverything('disconnected too long'), grace);
  }

  private onConnected(): void {
    clearTimeout(this.graceTimer);
    this.unsuspend('disconnected');
    this.maybeRejoin();
  }

  /**
   * node-zookeeper-client never declares a silent connection dead (it pings but does not time out
   * on missing answers), so a member cut off from ZooKeeper would fetch on while the server expires
   * its session and hands its partitions to others. We probe ourselves: the server heard from us no
   * earlier than when the last answered probe was sent. Silent for half a session timeout: suspend;
   * for a whole one: the session is gone, drop everything.
   */
  private startWatchdog(): void {
    const timeout = () => this.options.state.session.negotiatedTimeoutMs || 10_000;
    let probing = false;
    let probeSentAt = 0;
    this.watchdog = setInterval(
      () => {
        if (this.closed) return;
        const silence = Date.now() - this.lastAnsweredSentAt;
        if (silence > timeout()) this.dropEverything('no answer from ZooKeeper for a session timeout');
        if (silence > timeout() / 2) this.suspend('silent');
        // A probe queued on a client that was replaced after an expiry never answers: give up on it.
        if (probing && Date.now() - probeSentAt < timeout()) return;
        probing = true;
        const sentAt = Date.now();
        probeSentAt = sentAt;
        this.options.state.session
          .exists(zkPaths.groupMember(this.options.groupId, this.options.consumerId))
          .then(
            () => {
              probing = false;
              this.lastAnsweredSentAt = Math.max(this.lastAnsweredSentAt, sentAt);
              this.unsuspend('silent');
              this.maybeRejoin();
            },
            () => {
              if (probeSentAt === sentAt) probing = false;
            },
          );
      },
      Math.max(50, Math.floor(timeout() / 8)),
    );
    this.watchdog.unref();
  }

  /** Forgets every partition without committing; claims start again once the session is healthy. */
  private dropEverything(reason: string): void {
    clearTimeout(this.graceTimer);
    if (this.closed) return;
    const lost = [...this.owned.values()];
    this.owned.clear();
    for (const claim of this.claims.values()) claim.abort.abort();
    this.claims.clear();
    this.currentGeneration = -1;
    this.needsRejoin = true;
    if (lost.length > 0) {
      this.log.warn({ reason, partitions: lost.map(topicPartitionKey) }, 'dropping partitions');
      this.options.handler.onLost(lost);
    }
    this.maybeRejoin();
  }

  private maybeRejoin(): void {
    if (!this.needsRejoin || this.suspended || this.closed) return;
    if (this.options.state.session.state !== 'connected') return;
    this.needsRejoin = false;
    this.enqueue(() => this.evaluateLeadership());
    this.enqueue(() => this.readAssignment());
  }
}
