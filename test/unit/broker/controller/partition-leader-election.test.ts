import { describe, expect, it } from 'vitest';
import {
  controlledShutdownState,
  initialPartitionState,
  preferredLeaderState,
  reconcilePartition,
  type BrokerLiveness,
} from '../../../../broker/controller/partition-leader-election.js';
import type { PartitionState } from '../../../../coordinator/zk-paths.js';

const view = (live: number[], shuttingDown: number[] = []): BrokerLiveness => ({
  live: new Set(live),
  shuttingDown: new Set(shuttingDown),
});
const state = (leader: number, isr: number[], leaderEpoch = 4): PartitionState => ({
  leader,
  leaderEpoch,
  controllerEpoch: 1,
  isr,
});
const EPOCH = 7;

describe('initialPartitionState', () => {
  it('leads with the first live replica and puts every live replica in the ISR', () => {
    expect(initialPartitionState([3, 1, 2], view([1, 2, 3]), EPOCH)).toEqual({
      leader: 3,
      leaderEpoch: 0,
      controllerEpoch: EPOCH,
      isr: [3, 1, 2],
    });
    expect(initialPartitionState([3, 1, 2], view([1, 2]), EPOCH)).toMatchObject({ leader: 1, isr: [1, 2] });
  });
  it('prefers a replica that is not shutting down, and waits when no replica is live', () => {
    expect(initialPartitionState([3, 1], view([1, 3], [3]), EPOCH)).toMatchObject({ leader: 1, isr: [3, 1] });
    expect(initialPartitionState([3, 1], view([2]), EPOCH)).toBeNull();
  });
});

describe('reconcilePartition', () => {
  it('elects the first live ISR member in assignment order and bumps the epoch', () => {
    // Assignment order decides, not ISR order.
    expect(reconcilePartition(state(1, [1, 3, 2]), [1, 2, 3], view([2, 3]), false, EPOCH)).toEqual({
      leader: 2,
      leaderEpoch: 5,
      controllerEpoch: EPOCH,
      isr: [3, 2],
    });
  });
  it('never elects a live replica outside the ISR while unclean election is off', () => {
    expect(reconcilePartition(state(1, [1]), [1, 2], view([2]), false, EPOCH)).toEqual({
      leader: -1,
      leaderEpoch: 5,
      controllerEpoch: EPOCH,
      isr: [1],
    });
  });
  it('elects the first live replica with ISR = [it] when unclean election is on', () => {
    expect(reconcilePartition(state(1, [1]), [1, 3, 2], view([2, 3]), true, EPOCH)).toMatchObject({
      leader: 3,
      leaderEpoch: 5,
      isr: [3],
    });
  });
  it('drops dead followers from the ISR of a live leader (epoch bumped, as Kafka does)', () => {
    expect(reconcilePartition(state(1, [1, 2, 3]), [1, 2, 3], view([1, 3]), false, EPOCH)).toMatchObject({
      leader: 1,
      leaderEpoch: 5,
      isr: [1, 3],
    });
    expect(reconcilePartition(state(1, [1, 2]), [1, 2], view([1, 2]), false, EPOCH)).toBeNull();
  });
  it('brings an offline partition back when an ISR member returns, not when another replica does', () => {
    expect(reconcilePartition(state(-1, [1]), [1, 2], view([2]), false, EPOCH)).toBeNull();
    expect(reconcilePartition(state(-1, [1]), [1, 2], view([1, 2]), false, EPOCH)).toMatchObject({
      leader: 1,
      isr: [1],
      leaderEpoch: 5,
    });
  });
  it('avoids a shutting-down broker while another live ISR member exists', () => {
    expect(reconcilePartition(state(1, [1, 2, 3]), [1, 2, 3], view([2, 3], [2]), false, EPOCH)).toMatchObject(
      {
        leader: 3,
      },
    );
    // ...but takes it rather than going offline.
    expect(reconcilePartition(state(1, [1, 2]), [1, 2], view([2], [2]), false, EPOCH)).toMatchObject({
      leader: 2,
    });
  });
});

describe('preferredLeaderState', () => {
  it('moves leadership to the preferred replica when it is live and in sync', () => {
    expect(preferredLeaderState(state(2, [2, 1]), [1, 2], view([1, 2]), EPOCH)).toMatchObject({
      leader: 1,
      isr: [2, 1],
      leaderEpoch: 5,
    });
  });
  it('does nothing when the preferred replica leads, is out of sync, dead or shutting down', () => {
    expect(preferredLeaderState(state(1, [1, 2]), [1, 2], view([1, 2]), EPOCH)).toBeNull();
    expect(preferredLeaderState(state(2, [2]), [1, 2], view([1, 2]), EPOCH)).toBeNull();
    expect(preferredLeaderState(state(2, [2, 1]), [1, 2], view([2]), EPOCH)).toBeNull();
    expect(preferredLeaderState(state(2, [2, 1]), [1, 2], view([1, 2], [1]), EPOCH)).toBeNull();
  });
});

describe('controlledShutdownState', () => {
  it('hands leadership to the next in-sync replica and drops the broker from the ISR', () => {
    expect(controlledShutdownState(state(1, [1, 2, 3]), [1, 3, 2], 1, view([1, 2, 3], [1]), EPOCH)).toEqual({
      state: { leader: 3, leaderEpoch: 5, controllerEpoch: EPOCH, isr: [2, 3] },
      remaining: false,
    });
  });
  it('removes a follower from the ISR and reports a partition with no successor as remaining', () => {
    expect(controlledShutdownState(state(2, [2, 1]), [1, 2], 1, view([1, 2], [1]), EPOCH)).toMatchObject({
      state: { leader: 2, isr: [2] },
      remaining: false,
    });
    expect(controlledShutdownState(state(1, [1]), [1, 2], 1, view([1, 2], [1]), EPOCH)).toEqual({
      state: null,
      remaining: true,
    });
    expect(controlledShutdownState(state(2, [2]), [1, 2], 1, view([1, 2], [1]), EPOCH)).toEqual({
      state: null,
      remaining: false,
    });
  });
});
