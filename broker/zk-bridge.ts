import { isZooKeeperError } from '../coordinator/zk-errors.js';
import type { Watcher, ZooKeeperSession } from '../coordinator/zk-session.js';
import { decodePartitionState, zkPaths, type PartitionState } from '../coordinator/zk-paths.js';
import type { TopicPartition } from '../protocol/topic-partition.js';
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
