import type { Logger } from '../../log/logger.js';
import { LegacyMessageSetError, upConvertLegacyMessageSet } from '../../protocol/legacy-message-set.js';
import type { TopicPartition } from '../../protocol/topic-partition.js';
import { refusedAppend, type AppendRecordsOptions, type PendingAppend } from './append-records.js';
import type { LeaderReplica } from './leader-replica.js';

/** What the legacy append uses of the replica manager. */
export interface LegacyAppendTarget {
  appendRecords(options: AppendRecordsOptions): Promise<PendingAppend>;
  leaderReplica(tp: TopicPartition): LeaderReplica;
}

/**
 * Produce v0-2: the partition's legacy message set (magic 0/1) is up-converted to one magic-2 batch
 * (protocol/legacy-message-set.ts), which then takes the normal append path (offsets, topic
 * compression.type, validation, acks). What that path refuses before reading any record (invalid acks,
 * no records, not the leader) goes to it as it came, so the answers match Kafka's order of checks.
 * A message set that cannot be converted gets its error code (2, 76 or 87) and nothing is appended.
 */
export async function appendLegacyMessageSet(
  target: LegacyAppendTarget,
  options: AppendRecordsOptions,
  logger: Logger,
): Promise<PendingAppend> {
  const { records, requiredAcks, topicPartition } = options;
  const refusedBeforeRecords =
    (requiredAcks !== 0 && requiredAcks !== 1 && requiredAcks !== -1) ||
    records === null ||
    records.length === 0 ||
    'errorCode' in target.leaderReplica(topicPartition);
  if (refusedBeforeRecords) return target.appendRecords(options);
  let converted: Buffer;
  try {
    converted = await upConvertLegacyMessageSet(records);
  } catch (error) {
    if (!(error instanceof LegacyMessageSetError)) throw error;
    logger.info({ ...topicPartition, err: error.message }, 'legacy produce rejected');
    return refusedAppend(error.code, error.message);
  }
  return target.appendRecords({ ...options, records: converted });
}
