import { ErrorCode } from '../../protocol/errors.js';
import type { MetadataCache } from '../metadata-cache.js';

/** Whether the cluster has this topic and partition (Kafka's metadataCache.contains(tp)). */
export function partitionExists(metadata: MetadataCache, topic: string, partition: number): boolean {
  const known = metadata.topics.get(topic);
  return known !== undefined && partition >= 0 && partition < known.assignment.length;
}

interface PartitionAnswer {
  name: string;
  partitions: Array<{ partitionIndex: number; errorCode: number }>;
}

/**
 * Kafka checks a group request's partitions against the cluster before the coordinator sees them
 * (OffsetCommit, OffsetDelete): `known` holds an entry per existing partition, in request order, and
 * `answer` turns the coordinator's codes for them into the per-topic response, with
 * UNKNOWN_TOPIC_OR_PARTITION (3) for the rest.
 */
export function checkPartitions<P extends { partitionIndex: number }, T>(
  metadata: MetadataCache,
  topics: ReadonlyArray<{ name: string; partitions: readonly P[] }>,
  entry: (topic: string, partition: P) => T,
): { known: T[]; answer(codes: readonly number[]): PartitionAnswer[] } {
  const exists = topics.map((t) =>
    t.partitions.map((p) => partitionExists(metadata, t.name, p.partitionIndex)),
  );
  const known = topics.flatMap((t, i) =>
    t.partitions.filter((_, j) => exists[i]![j]).map((p) => entry(t.name, p)),
  );
  return {
    known,
    answer(codes) {
      let next = 0;
      return topics.map((t, i) => ({
        name: t.name,
        partitions: t.partitions.map((p, j) => ({
          partitionIndex: p.partitionIndex,
          errorCode: exists[i]![j] ? (codes[next++] ?? 0) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      }));
    },
  };
}
