import type { ClusterState } from './cluster-state.js';
import { isZooKeeperError } from './zk-errors.js';
import { assertLegalName, zkPaths } from './zk-paths.js';
import type { TopicPartition } from '../protocol/topic-partition.js';

/**
 * Offset commit metadata of broker-coordinated groups. The offset itself goes where every sluice
 * group keeps it (/consumers/<g>/offsets/<t>/<p>, via ClusterState.commitOffset); the client's free-form
 * metadata string sits beside it in /consumers/<g>/offsets-metadata/<t>/<p>, written only when
 * non-empty so plain commits cost one ZooKeeper write.
 */
export const groupOffsetPaths = {
  groupMetadata: (group: string) => `/consumers/${group}/offsets-metadata`,
  topicMetadata: (group: string, topic: string) => `/consumers/${group}/offsets-metadata/${topic}`,
  partitionMetadata: (group: string, tp: TopicPartition) =>
    `/consumers/${group}/offsets-metadata/${tp.topic}/${tp.partition}`,
} as const;

export async function writeOffsetMetadata(
  state: ClusterState,
  group: string,
  tp: TopicPartition,
  metadata: string,
): Promise<void> {
  assertLegalName('group', group);
  const path = groupOffsetPaths.partitionMetadata(group, tp);
  const data = Buffer.from(metadata, 'utf8');
  try {
    await state.session.setData(path, data);
  } catch (error) {
    if (!isZooKeeperError(error, 'NONODE')) throw error;
    await state.session.ensurePath(groupOffsetPaths.topicMetadata(group, tp.topic));
    try {
      await state.session.create(path, data);
    } catch (raced) {
      if (!isZooKeeperError(raced, 'NODEEXISTS')) throw raced;
      await state.session.setData(path, data);
    }
  }
}

/** Removes stale metadata after a commit without any (absent node is fine). */
export async function clearOffsetMetadata(
  state: ClusterState,
  group: string,
  tp: TopicPartition,
): Promise<void> {
  try {
    await state.session.delete(groupOffsetPaths.partitionMetadata(group, tp));
  } catch (error) {
    if (!isZooKeeperError(error, 'NONODE')) throw error;
  }
}

export async function readOffsetMetadata(
  state: ClusterState,
  group: string,
  tp: TopicPartition,
): Promise<string> {
  try {
    const read = await state.session.getData(groupOffsetPaths.partitionMetadata(group, tp));
    return read.data.toString('utf8');
  } catch (error) {
    if (isZooKeeperError(error, 'NONODE')) return '';
    throw error;
  }
}

/**
 * Deletes a group's committed offset (and its metadata) for one partition; the topic's node goes too
 * once it has no partitions left, so the group no longer lists the topic. Absent nodes are fine.
 */
export async function deleteCommittedOffset(
  state: ClusterState,
  group: string,
  tp: TopicPartition,
): Promise<void> {
  const ignoring = async (remove: Promise<void>, ...codes: Array<'NONODE' | 'NOTEMPTY'>) => {
    try {
      await remove;
    } catch (error) {
      if (!isZooKeeperError(error, ...codes)) throw error;
    }
  };
  await ignoring(state.session.delete(zkPaths.partitionOffset(group, tp)), 'NONODE');
  await ignoring(state.session.delete(groupOffsetPaths.partitionMetadata(group, tp)), 'NONODE');
  await ignoring(state.session.delete(zkPaths.groupTopicOffsets(group, tp.topic)), 'NONODE', 'NOTEMPTY');
  await ignoring(state.session.delete(groupOffsetPaths.topicMetadata(group, tp.topic)), 'NONODE', 'NOTEMPTY');
}
