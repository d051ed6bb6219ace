import type { PartitionState } from '../../coordinator/zk-paths.js';

/**
 * The controller's leader and ISR decisions, as pure functions of a partition's state, its assigned
 * replicas (first = preferred leader) and which brokers are live. Each returns the state to write, or
 * null when nothing changes. As in Kafka's ZooKeeper-era controller, every state the controller writes
 * bumps leader_epoch — a new leader, and also an ISR it shrank (Kafka's removeReplicaFromIsr
 * "increments the leader epoch even if the ISR changes") — so brokers can order the decisions.
 */

export interface BrokerLiveness {
  /** Brokers with a live registration under /brokers/ids. */
  live: ReadonlySet<number>;
  /** Live brokers that asked for a controlled shutdown: never chosen as a new leader. */
  shuttingDown: ReadonlySet<number>;
}

export const NO_LEADER = -1;

function eligible(view: BrokerLiveness, broker: number): boolean {
  return view.live.has(broker) && !view.shuttingDown.has(broker);
}

function next(state: PartitionState, leader: number, isr: number[], controllerEpoch: number): PartitionState {
  return { leader, leaderEpoch: state.leaderEpoch + 1, controllerEpoch, isr };
}

/**
 * A new partition's first state: leader = the first live replica in assignment order (preferring one
 * that is not shutting down), ISR = every live replica. Null when no replica is live: the partition
 * waits (no state) until one registers, as Kafka leaves it in NewPartition.
 */
export function initialPartitionState(
  replicas: readonly number[],
  view: BrokerLiveness,
  controllerEpoch: number,
): PartitionState | null {
  const live = replicas.filter((r) => view.live.has(r));
  const leader = live.find((r) => eligible(view, r)) ?? live[0];
  if (leader === undefined) return null;
  return { leader, leaderEpoch: 0, controllerEpoch, isr: live };
}

/**
 * After brokers died or returned. Leader live: drop dead members from the ISR. Leader dead (or the
 * partition offline): the first live ISR member in assignment order leads and the ISR shrinks to the
 * live members; with none, unclean election (when enabled) takes the first live replica with ISR =
 * [it], otherwise the partition goes offline (leader -1) keeping its last ISR, so that the first of
 * those to return can lead without losing committed records.
 */
export function reconcilePartition(
  state: PartitionState,
  replicas: readonly number[],
  view: BrokerLiveness,
  uncleanLeaderElection: boolean,
  controllerEpoch: number,
): PartitionState | null {
  const liveIsr = state.isr.filter((r) => view.live.has(r));
  if (state.leader !== NO_LEADER && view.live.has(state.leader)) {
    if (liveIsr.length === state.isr.length) return null;
    return next(state, state.leader, liveIsr.length > 0 ? liveIsr : [state.leader], controllerEpoch);
  }
  const inSync = replicas.filter((r) => liveIsr.includes(r));
  const clean = inSync.find((r) => eligible(view, r)) ?? inSync[0];
  if (clean !== undefined) return next(state, clean, liveIsr, controllerEpoch);
  if (uncleanLeaderElection) {
    const live = replicas.filter((r) => view.live.has(r));
    const unclean = live.find((r) => eligible(view, r)) ?? live[0];
    if (unclean !== undefined) return next(state, unclean, [unclean], controllerEpoch);
  }
  if (state.leader === NO_LEADER) return null;
  return next(state, NO_LEADER, [...state.isr], controllerEpoch);
}

/** Preferred-leader election: the first assigned replica leads again once it is live and in sync. */
export function preferredLeaderState(
  state: PartitionState,
  replicas: readonly number[],
  view: BrokerLiveness,
  controllerEpoch: number,
): PartitionState | null {
  const preferred = replicas[0];
  if (preferred === undefined || state.leader === preferred) return null;
  if (!eligible(view, preferred) || !state.isr.includes(preferred)) return null;
  return next(state, preferred, [...state.isr], controllerEpoch);
}

/**
 * Controlled shutdown of `broker`: a partition it leads gets the first other live, in-sync replica (not
 * itself shutting down) as leader; a partition it follows drops it from the ISR. `remaining` says the
 * broker still leads the partition because no other in-sync replica is live (or it is the only ISR
 * member, which Kafka keeps so the partition can come back cleanly).
 */
export function controlledShutdownState(
  state: PartitionState,
  replicas: readonly number[],
  broker: number,
  view: BrokerLiveness,
  controllerEpoch: number,
): { state: PartitionState | null; remaining: boolean } {
  const isrWithout = state.isr.filter((r) => r !== broker);
  if (state.leader === broker) {
    const successor = replicas.find((r) => r !== broker && eligible(view, r) && state.isr.includes(r));
    if (successor === undefined) return { state: null, remaining: true };
    return { state: next(state, successor, isrWithout, controllerEpoch), remaining: false };
  }
  if (!state.isr.includes(broker) || isrWithout.length === 0) return { state: null, remaining: false };
  return { state: next(state, state.leader, isrWithout, controllerEpoch), remaining: false };
}
