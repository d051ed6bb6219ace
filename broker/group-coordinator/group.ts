import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import { subscribedTopics } from './consumer-subscription.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

/** What a JoinGroup caller is answered. `members` is filled for the leader only. */
export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  assignment: Buffer;
}

/** A member: what it joined with, plus its assignment and what it is waiting for. */
export interface Member extends Omit<JoinRequest, 'requireKnownMemberId'> {
  assignment: Buffer;
  /** Set while the member waits in JoinGroup for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | null;
  /** Set while the member waits in SyncGroup for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
  /** JoinGroup v4+: an unknown member first gets an id (MEMBER_ID_REQUIRED), then joins with it. */
  requireKnownMemberId: boolean;
}

export interface GroupTimings {
  /** group.initial.rebalance.delay.ms: how long an empty group waits for more members to join. */
  initialRebalanceDelayMs: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * One consumer group's membership state machine (Kafka's classic group protocol):
 * Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead once deleted or handed away.
 * All methods are synchronous; the coordinator calls them from the group's serial queue. Timers
 * (session expiry, rebalance timeout) call back into the group directly: JavaScript runs them between
 * queue tasks, never inside one.
 */
export class ConsumerGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet used to join. */
  private readonly pendingMemberIds = new Map<string, NodeJS.Timeout>();
  /** Static members (KIP-345): group.instance.id → the member id of its current incarnation. */
  readonly staticMembers = new Map<string, string>();
  private rebalanceTimer: NodeJS.Timeout | null = null;
  /** When the current rebalance started (for logs and the benchmark). */
  rebalanceStartedAt = 0;
  lastRebalanceMs = 0;

  constructor(
    readonly groupId: string,
    private readonly timings: GroupTimings,
    private readonly onChange: (group: ConsumerGroup, event: string) => void = () => {},
  ) {}

  // ---- JoinGroup --------------------------------------------------------------------------------

  join(request: JoinRequest, reply: (result: JoinResult) => void): void {
    const fail = (errorCode: number, memberId = request.memberId): void =>
      reply({ errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] });
    if (this.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (request.protocols.length === 0 || request.protocolType === '')
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (this.members.size > 0 && !this.supportsProtocols(request))
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    if (request.groupInstanceId !== null) {
      const known = this.staticMembers.get(request.groupInstanceId);
      // A known static member rejoining without its member id (a restart): it takes its place.
      if (request.memberId === '' && known !== undefined)
        return this.replaceStaticMember(known, request, reply);
      if (request.memberId !== '') {
        if (known !== undefined && known !== request.memberId) return fail(ErrorCode.FENCED_INSTANCE_ID);
        if (!this.members.has(request.memberId)) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      }
    }

    let memberId = request.memberId;
    if (memberId === '') {
      memberId = `${request.clientId || 'member'}-${randomUUID()}`;
      if (request.requireKnownMemberId && request.groupInstanceId === null) {
        const expiry = setTimeout(() => this.pendingMemberIds.delete(memberId), request.sessionTimeoutMs);
        expiry.unref();
        this.pendingMemberIds.set(memberId, expiry);
        return fail(ErrorCode.MEMBER_ID_REQUIRED, memberId);
      }
    } else if (!this.members.has(memberId)) {
      const pending = this.pendingMemberIds.get(memberId);
      if (pending === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      clearTimeout(pending);
      this.pendingMemberIds.delete(memberId);
    }

    const existing = this.members.get(memberId);
    if (existing) {
      const unchanged =
        sameProtocols(existing.protocols, request.protocols) && existing.memberId !== this.leaderId;
      if (this.state === 'Stable' && unchanged) {
        // A follower re-joining with the same subscription: no rebalance; hand it the current generation.
        this.touch(existing);
        return reply(this.joinResult(existing.memberId, false));
      }
      if (existing.awaitingJoin)
        existing.awaitingJoin(this.errorJoin(existing.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      Object.assign(existing, {
        protocols: request.protocols,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        clientId: request.clientId,
      });
      existing.awaitingJoin = reply;
      this.clearSessionTimer(existing);
    } else {
      const member: Member = {
        memberId,
        groupInstanceId: request.groupInstanceId,
        clientId: request.clientId,
        clientHost: request.clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
        assignment: EMPTY,
        awaitingJoin: reply,
        awaitingSync: null,
        sessionTimer: null,
      };
      this.members.set(memberId, member);
      if (request.groupInstanceId !== null) this.staticMembers.set(request.groupInstanceId, memberId);
      this.protocolType = request.protocolType;
      this.onChange(this, `member ${memberId} joined`);
    }
    this.prepareRebalance(`join of ${memberId}`);
    this.maybeCompleteJoin();
  }

  /**
   * A static member restarted (same group.instance.id, no member id): the new incarnation gets a new
   * member id and the old one's place, assignment included. In a Stable group whose subscriptions and
   * protocol stay the same nobody rebalances; it syncs at the current generation and gets its old
   * assignment. The old incarnation is fenced (FENCED_INSTANCE_ID on its next request).
   */
  private replaceStaticMember(
    oldId: string,
    request: JoinRequest,
    reply: (result: JoinResult) => void,
  ): void {
    const old = this.members.get(oldId)!;
    const memberId = `${request.clientId || 'member'}-${randomUUID()}`;
    // The old leader id is answered so that the new incarnation does not compute an assignment that a
    // Stable group would never hand out.
    const leaderBefore = this.leaderId ?? '';
    this.clearSessionTimer(old);
    old.awaitingJoin?.(this.errorJoin(oldId, ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingSync?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, assignment: EMPTY });
    const subscriptionChanged = !sameSubscription(this.protocolType, old.protocols, request.protocols);
    const member: Member = {
      ...old,
      memberId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocols: request.protocols,
      awaitingJoin: null,
      awaitingSync: null,
      sessionTimer: null,
    };
    this.members.delete(oldId);
    this.members.set(memberId, member);
    this.staticMembers.set(request.groupInstanceId!, memberId);
    if (this.leaderId === oldId) this.leaderId = memberId;
    this.onChange(
      this,
      `static member ${request.groupInstanceId} rejoined as ${memberId}, replacing ${oldId}`,
    );
    if (this.state === 'Stable' && !subscriptionChanged && this.selectProtocol() === this.protocolName) {
      this.touch(member);
      return reply({
        errorCode: 0,
        generationId: this.generationId,
        protocolName: this.protocolName ?? '',
        leader: leaderBefore,
        memberId,
        members: [],
      });
    }
    member.awaitingJoin = reply;
    this.prepareRebalance(`static member ${request.groupInstanceId} rejoined`);
    this.maybeCompleteJoin();
  }

  /** FENCED_INSTANCE_ID when `groupInstanceId` now belongs to another incarnation, else 0. */
  private fencing(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId === null) return 0;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId ? ErrorCode.FENCED_INSTANCE_ID : 0;
  }

  // ---- SyncGroup --------------------------------------------------------------------------------

  sync(
    memberId: string,
    generationId: number,
    assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>,
    reply: (result: SyncResult) => void,
    groupInstanceId: string | null = null,
  ): void {
    const fail = (errorCode: number): void => reply({ errorCode, assignment: EMPTY });
    const member = this.members.get(memberId);
    if (this.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const fenced = this.fencing(memberId, groupInstanceId);
    if (fenced !== 0) return fail(fenced);
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== this.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (this.state === 'PreparingRebalance' || this.state === 'Empty')
      return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touch(member);
    if (this.state === 'Stable') return reply({ errorCode: 0, assignment: member.assignment });
    // CompletingRebalance: wait for the leader's assignment.
    member.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    member.awaitingSync = reply;
    if (memberId === this.leaderId) {
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of this.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY;
      this.state = 'Stable';
      this.lastRebalanceMs = Date.now() - this.rebalanceStartedAt;
      this.onChange(this, `stable at generation ${this.generationId} (${this.lastRebalanceMs} ms)`);
      for (const m of this.members.values()) {
        const waiting = m.awaitingSync;
        m.awaitingSync = null;
        waiting?.({ errorCode: 0, assignment: m.assignment });
      }
    }
  }

  // ---- Heartbeat / LeaveGroup --------------------------------------------------------------------

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null): number {
    if (this.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const fenced = this.fencing(memberId, groupInstanceId);
    if (fenced !== 0) return fenced;
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (this.state === 'PreparingRebalance' || this.state === 'CompletingRebalance') {
      this.touch(member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(member);
    return 0;
  }

  /**
   * Removes a member that leaves; the remaining members rebalance. LeaveGroup v3+ names static members
   * by instance id (member id '' = whichever incarnation holds it; another id is FENCED_INSTANCE_ID).
   */
  leave(memberId: string, groupInstanceId: string | null): number {
    let id = memberId;
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (id !== '' && id !== current) return ErrorCode.FENCED_INSTANCE_ID;
      id = current;
    }
    if (!this.members.has(id)) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(id, ErrorCode.UNKNOWN_MEMBER_ID);
    this.onChange(this, `member ${id} left`);
    return 0;
  }

  // ---- offsets ----------------------------------------------------------------------------------

  /** Whether an OffsetCommit from this member/generation may write (0) or the error to return. */
  commitError(memberId: string, generationId: number, groupInstanceId: string | null = null): number {
    if (this.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const fenced = this.fencing(memberId, groupInstanceId);
    if (fenced !== 0) return fenced;
    if (generationId < 0 && memberId === '') {
      // A "simple" commit (no group membership): only while nobody is in the group.
      return this.members.size === 0 ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
    }
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (this.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(member);
    return 0;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** The group is deleted or handed to another coordinator: answer every waiter, stop every timer. */
  shutdown(errorCode: number): void {
    for (const id of [...this.members.keys()]) this.removeMember(id, errorCode, false);
    for (const timer of this.pendingMemberIds.values()) clearTimeout(timer);
    this.pendingMemberIds.clear();
    this.clearRebalanceTimer();
    this.state = 'Dead';
  }

  // ---- internals --------------------------------------------------------------------------------

  private prepareRebalance(reason: string): void {
    if (this.state === 'PreparingRebalance') return;
    if (this.state === 'CompletingRebalance') {
      // The in-flight assignment is void; members waiting in SyncGroup rejoin.
      for (const m of this.members.values()) {
        const waiting = m.awaitingSync;
        m.awaitingSync = null;
        waiting?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      }
    }
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    this.rebalanceStartedAt = Date.now();
    this.onChange(this, `preparing rebalance (${reason})`);
    // Members that do not rejoin within the rebalance timeout are dropped. An empty group first waits
    // the initial delay so that members starting together land in one generation.
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.clearRebalanceTimer();
    if (wasEmpty && this.timings.initialRebalanceDelayMs > 0) {
      this.rebalanceTimer = setTimeout(() => this.completeJoin(), this.timings.initialRebalanceDelayMs);
    } else {
      this.rebalanceTimer = setTimeout(() => this.completeJoin(), timeout);
    }
    this.rebalanceTimer.unref();
    this.initialDelayRunning = wasEmpty && this.timings.initialRebalanceDelayMs > 0;
  }

  private initialDelayRunning = false;

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.initialDelayRunning) return;
    for (const m of this.members.values()) if (!m.awaitingJoin) return;
    this.completeJoin();
  }

  private completeJoin(): void {
    if (this.state !== 'PreparingRebalance') return;
    this.clearRebalanceTimer();
    this.initialDelayRunning = false;
    // Members that did not rejoin in time are out.
    for (const m of [...this.members.values()]) if (!m.awaitingJoin) this.removeMember(m.memberId, 0, false);
    if (this.members.size === 0) {
      this.state = 'Empty';
      this.generationId += 1;
      this.protocolName = null;
      this.leaderId = null;
      this.onChange(this, `empty at generation ${this.generationId}`);
      return;
    }
    this.generationId += 1;
    this.protocolName = this.selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId))
      this.leaderId = this.members.keys().next().value!;
    this.state = 'CompletingRebalance';
    this.onChange(this, `generation ${this.generationId} formed with ${this.members.size} members`);
    for (const m of this.members.values()) {
      const waiting = m.awaitingJoin!;
      m.awaitingJoin = null;
      this.touch(m);
      waiting(this.joinResult(m.memberId, m.memberId === this.leaderId));
    }
  }

  private joinResult(memberId: string, withMembers: boolean): JoinResult {
    const protocol = this.protocolName ?? '';
    return {
      errorCode: 0,
      generationId: this.generationId,
      protocolName: protocol,
      leader: this.leaderId ?? '',
      memberId,
      members: withMembers
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  private errorJoin(memberId: string, errorCode: number): JoinResult {
    return { errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
  }

  /** A protocol every member supports; each member votes for its most preferred candidate. */
  private selectProtocol(): string {
    const members = [...this.members.values()];
    const candidates = members[0]!.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = candidates[0] ?? '';
    for (const [name, count] of votes) if (count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  private supportsProtocols(request: JoinRequest): boolean {
    if (this.protocolType !== null && request.protocolType !== this.protocolType) return false;
    const others = [...this.members.values()].filter((m) => m.memberId !== request.memberId);
    return request.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private removeMember(memberId: string, waiterError: number, rebalance = true): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.clearSessionTimer(member);
    this.members.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId)
      this.staticMembers.delete(member.groupInstanceId);
    member.awaitingJoin?.(this.errorJoin(memberId, waiterError || ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingSync?.({ errorCode: waiterError || ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    member.awaitingJoin = null;
    member.awaitingSync = null;
    if (this.leaderId === memberId) this.leaderId = null;
    if (!rebalance) return;
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') {
      this.prepareRebalance(`removal of ${memberId}`);
    }
    if (this.members.size === 0 && this.state === 'PreparingRebalance' && !this.initialDelayRunning) {
      this.completeJoin();
    } else {
      this.maybeCompleteJoin();
    }
  }

  /** Restarts the member's session timer (any request from it proves it alive). */
  private touch(member: Member): void {
    this.clearSessionTimer(member);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      // A member parked in JoinGroup is governed by the rebalance timeout, not its session.
      if (member.awaitingJoin || !this.members.has(member.memberId)) return;
      this.onChange(this, `member ${member.memberId} session expired`);
      this.removeMember(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private clearSessionTimer(member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
  }

  private clearRebalanceTimer(): void {
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = null;
  }
}

/** Same consumer subscriptions (topic lists) per protocol; other protocol types compare metadata. */
function sameSubscription(
  protocolType: string | null,
  a: readonly JoinProtocol[],
  b: readonly JoinProtocol[],
): boolean {
  if (protocolType !== 'consumer') return sameProtocols(a, b);
  const topics = (p: JoinProtocol) => subscribedTopics(p.metadata)?.slice().sort().join(',') ?? null;
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i]!;
      const [ta, tb] = [topics(p), topics(q)];
      return p.name === q.name && (ta === null || tb === null ? p.metadata.equals(q.metadata) : ta === tb);
    })
  );
}

function sameProtocols(a: readonly JoinProtocol[], b: readonly JoinProtocol[]): boolean {
  return (
    a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata))
  );
}
