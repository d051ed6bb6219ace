import { isZooKeeperError } from '../coordinator/zk-errors.js';
import type { Watcher, ZooKeeperSession } from '../coordinator/zk-session.js';
import {
  decodeLeaderAck,
  decodePartitionState,
  encodeLeaderAck,
  zkPaths,
  type LeaderAck,
  type PartitionState,
  type TopicPartition,
} from '../coordinator/zk-paths.js';
import type { Versioned } from '../coordinator/cluster-state.js';

/**
 * ZooKeeper helpers the broker needs that coordinator/cluster-state.ts does not (yet) offer. Paths
 * come from zk-paths.ts; nothing here spells a path. Candidates to move into the coordinator layer.
 */

/**
 * Reads a partition's state; when the node does not exist yet (the topic was just created and its
 * states are still being written), arms an exists-watch so `watcher` fires on its creation.
 */
export async function readPartitionStateOrWatchCreation(
  session: ZooKeeperSession,
  tp: TopicPartition,
  watcher: Watcher,
): Promise<Versioned<PartitionState> | null> {
  const path = zkPaths.partitionState(tp);
  for (;;) {
    try {
      const { data, stat } = await session.getData(path, watcher);
      return { value: decodePartitionState(tp, data), version: stat.version };
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
    }
    if ((await session.exists(path, watcher)) === null) return null;
  }
}

/** A partition's leader acknowledgement, or null (then an exists-watch fires on its creation). */
export async function readLeaderAckOrWatchCreation(
  session: ZooKeeperSession,
  tp: TopicPartition,
  watcher: Watcher,
): Promise<LeaderAck | null> {
  const path = zkPaths.partitionLeaderAck(tp);
  for (;;) {
    try {
      return decodeLeaderAck(tp, (await session.getData(path, watcher)).data);
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
    }
    if ((await session.exists(path, watcher)) === null) return null;
  }
}

/**
 * Writes this leader's acknowledgement, only while the partition state is still at `stateVersion`
 * (one atomic multi), so an ack never outlives the state it answers nor lands in a deleted topic.
 * Returns false when the state moved on or is gone (a newer state brings its own ack).
 */
export async function writeLeaderAck(
  session: ZooKeeperSession,
  tp: TopicPartition,
  ack: LeaderAck,
  stateVersion: number,
): Promise<boolean> {
  const check = { type: 'check', path: zkPaths.partitionState(tp), version: stateVersion } as const;
  const path = zkPaths.partitionLeaderAck(tp);
  const data = encodeLeaderAck(ack);
  for (const write of [{ type: 'setData', path, data } as const, { type: 'create', path, data } as const]) {
    try {
      await session.multi([check, write]);
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
 * Claims the deletion of `topic` for `brokerId` with a conditional write on its
 * /admin/delete_topics node: the node's data names the claimant. A claim held by a broker that is no
 * longer live may be taken over. Returns true when this broker holds the claim.
 */
export async function claimTopicDeletion(
  session: ZooKeeperSession,
  topic: string,
  brokerId: number,
  liveBrokerIds: readonly number[],
): Promise<boolean> {
  const path = zkPaths.deleteTopic(topic);
  let current: { data: Buffer; stat: { version: number } };
  try {
    current = await session.getData(path);
  } catch (error) {
    if (isZooKeeperError(error, 'NONODE')) return false;
    throw error;
  }
  const text = current.data.toString('utf8').trim();
  const holder = /^\d+$/.test(text) ? Number(text) : null;
  if (holder === brokerId) return true;
  if (holder !== null && liveBrokerIds.includes(holder)) return false;
  try {
    await session.setData(path, Buffer.from(String(brokerId)), current.stat.version);
    return true;
  } catch (error) {
    if (isZooKeeperError(error, 'BADVERSION', 'NONODE')) return false;
    throw error;
  }
}
