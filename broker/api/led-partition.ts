import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerServices } from '../broker-services.js';
import { leaderEpochError, type Partition } from '../replica/partition.js';

/**
 * The partition a client request names, if this broker leads it in the epoch the client expects;
 * otherwise the error to answer with: 3 when the topic or partition does not exist, 6 when another
 * broker leads it, 74/75 when the client's leader epoch is older/newer than ours.
 */
export function ledPartition(
  broker: BrokerServices,
  topic: string,
  partitionIndex: number,
  currentLeaderEpoch: number | undefined,
): { partition: Partition } | { errorCode: number } {
  const partition = broker.replicas.get({ topic, partition: partitionIndex });
  if (!partition) {
    const known = broker.metadata.topics.get(topic);
    const exists = known !== undefined && partitionIndex >= 0 && partitionIndex < known.assignment.length;
    return { errorCode: exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  if (!partition.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const epochError = leaderEpochError(partition, currentLeaderEpoch);
  return epochError !== 0 ? { errorCode: epochError } : { partition };
}
