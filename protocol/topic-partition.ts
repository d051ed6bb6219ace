/**
 * The topic-partition: the noun every layer shares (requests address it, ZooKeeper stores its state,
 * the broker keeps a log per one, producers batch and consumers own them). It lives in protocol/, the
 * layer everyone may import, so no layer borrows it from another's module.
 */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * `"<topic>-<partition>"` (Kafka's `TopicPartition.toString()`): the one spelling for map keys and log
 * context. Not a parse format: topic names may contain '-'.
 */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}
