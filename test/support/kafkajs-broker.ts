import kafkajs from 'kafkajs';
import { startSingleBroker, type SingleBroker, type SingleBrokerOptions } from './single-broker.js';

export type KafkajsClient = InstanceType<typeof kafkajs.Kafka>;

export interface KafkajsBroker {
  broker: SingleBroker;
  /** A kafkajs client of `broker` with its logging silenced. */
  kafka: KafkajsClient;
}

export interface KafkajsBrokerOptions extends SingleBrokerOptions {
  clientId: string;
  /** Created (replication factor 1) before this returns, so tests start with the topic in place. */
  topic: string;
  partitions: number;
}

/** One real broker (startSingleBroker) plus a kafkajs client, with one topic created. */
export async function startKafkajsBroker(options: KafkajsBrokerOptions): Promise<KafkajsBroker> {
  const { clientId, topic, partitions, ...brokerOptions } = options;
  const broker = await startSingleBroker(brokerOptions);
  try {
    const kafka = new kafkajs.Kafka({
      clientId,
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
    } finally {
      await admin.disconnect();
    }
    return { broker, kafka };
  } catch (error) {
    await broker.close();
    throw error;
  }
}
