import type { TopicPartition } from '../../protocol/topic-partition.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { MetadataCache } from '../metadata-cache.js';
import { leaderEpochError, type Partition } from './partition.js';

/** The local replica a client request may use, or the error code to answer with. */
export type LeaderReplica = { partition: Partition } | { errorCode: number };

export interface LeaderLookupOptions {
  /** The request's current_leader_epoch (-1 or absent = not given); checked against ours. */
  currentLeaderEpoch?: number;
  /**
   * Answer LEADER_NOT_AVAILABLE (5) rather than NOT_LEADER_OR_FOLLOWER (6) while the metadata shows no
   * leader elected. Produce does; Fetch clients do not expect 5 (the Java consumer treats it as fatal).
   */
  leaderlessIsUnavailable?: boolean;
}

/**
 * The one leader lookup of client requests (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch): the
 * local replica of `tp` if this broker leads it in the epoch the client expects; otherwise 3 when the
 * topic or partition does not exist, 6 when another broker leads it (5 while none does, if asked),
 * 74/75 when the client's leader epoch is older/newer than ours.
 */
export function findLeaderReplica(
  local: Partition | undefined,
  metadata: Pick<MetadataCache, 'topics'>,
  tp: TopicPartition,
  options: LeaderLookupOptions = {},
): LeaderReplica {
  if (!local) {
    const known = metadata.topics.get(tp.topic);
    if (!known || tp.partition < 0 || tp.partition >= known.assignment.length) {
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    }
    const leader = known.states[tp.partition]?.leader ?? -1;
    const leaderless = options.leaderlessIsUnavailable === true && leader < 0;
    return { errorCode: leaderless ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NOT_LEADER_OR_FOLLOWER };
  }
  if (!local.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const epochError = leaderEpochError(local, options.currentLeaderEpoch);
  return epochError !== 0 ? { errorCode: epochError } : { partition: local };
}
