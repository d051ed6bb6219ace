import { setTimeout as delay } from 'node:timers/promises';
import { KafkaAdmin } from '../../client/admin.js';
import type { KafkaClientOptions } from '../../client/kafka-client.js';
import { ErrorCode, errorByCode } from '../../protocol/errors.js';
import { UserError } from './client-options.js';

/** How long a freshly auto-created topic gets to elect its leaders. */
const AUTO_CREATE_WAIT_MS = 15_000;

/**
 * Makes sure `produce` has a topic to write to, as Kafka's producer does: a Metadata request that allows
 * auto-creation, so the brokers' auto.create.topics.enable decides. Returns a line to print when the
 * brokers created the topic; a refusal is a user error naming the setting.
 */
export async function ensureProduceTopic(cluster: KafkaClientOptions, topic: string): Promise<string | null> {
  const admin = await KafkaAdmin.create(cluster);
  try {
    const known = (await admin.client.refreshMetadata([topic])).topic(topic);
    if (known?.errorCode === ErrorCode.NONE) return null;
    if (known !== undefined && known.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      throw topicError(topic, known.errorCode);
    const deadline = Date.now() + AUTO_CREATE_WAIT_MS;
    for (;;) {
      const metadata = await admin.client.refreshMetadata([topic], { allowAutoTopicCreation: true });
      const created = metadata.topic(topic);
      const code = created?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        throw new UserError(
          `topic "${topic}" does not exist and the brokers do not create topics on first use ` +
            `(auto.create.topics.enable=false): sluice topics create ${topic}`,
        );
      const ready =
        code === ErrorCode.NONE &&
        created!.partitions.length > 0 &&
        created!.partitions.every((p) => p.leader >= 0);
      if (ready) {
        const replication = created!.partitions[0]!.replicas.length;
        return `created topic ${topic} (brokers' auto.create.topics.enable=true): ${created!.partitions.length} partition(s), replication factor ${replication}`;
      }
      if (code !== ErrorCode.NONE && code !== ErrorCode.LEADER_NOT_AVAILABLE) throw topicError(topic, code);
      if (Date.now() > deadline)
        throw new UserError(
          `topic ${topic} was auto-created but has no leader after ${AUTO_CREATE_WAIT_MS} ms`,
        );
      // Kafka's producer retries metadata at retry.backoff.ms while the new topic elects leaders.
      await delay(100);
    }
  } finally {
    await admin.close();
  }
}

function topicError(topic: string, code: number): UserError {
  const info = errorByCode(code);
  return new UserError(`topic ${topic}: ${info ? `${info.message} (${info.name})` : `error ${code}`}`);
}
