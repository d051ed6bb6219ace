import type { MetadataCache } from '../metadata-cache.js';

/** Whether the cluster has this topic and partition (Kafka's metadataCache.contains(tp)). */
export function partitionExists(metadata: MetadataCache, topic: string, partition: number): boolean {
  const known = metadata.topics.get(topic);
  return known !== undefined && partition >= 0 && partition < known.assignment.length;
}
