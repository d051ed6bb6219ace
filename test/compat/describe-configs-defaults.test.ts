import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';

/**
 * confluent-kafka-python's describe_configs against a real broker: every config has a value (clients
 * treat null as "not set"), and what sluice reports equals Kafka 2.8's defaults.
 */

/** Kafka 2.8's LogConfig defaults for the topic keys sluice reports. */
const KAFKA_TOPIC_DEFAULTS: Record<string, string> = {
  'cleanup.policy': 'delete',
  'compression.type': 'producer',
  'flush.messages': '9223372036854775807',
  'flush.ms': '9223372036854775807',
  'index.interval.bytes': '4096',
  'max.message.bytes': '1048588',
  'message.timestamp.difference.max.ms': '9223372036854775807',
  'message.timestamp.type': 'CreateTime',
  'min.insync.replicas': '1',
  'retention.bytes': '-1',
  'retention.ms': '604800000',
  'segment.bytes': '1073741824',
  'segment.ms': '604800000',
  'unclean.leader.election.enable': 'false',
};

/** Kafka 2.8's KafkaConfig defaults for the broker keys sluice reports whose Kafka default is not null. */
const KAFKA_BROKER_DEFAULTS: Record<string, string> = {
  'auto.create.topics.enable': 'true',
  'auto.leader.rebalance.enable': 'true',
  'compression.type': 'producer',
  'connections.max.idle.ms': '600000',
  'controlled.shutdown.enable': 'true',
  'default.replication.factor': '1',
  'delete.topic.enable': 'true',
  'group.initial.rebalance.delay.ms': '3000',
  'group.max.session.timeout.ms': '1800000',
  'group.min.session.timeout.ms': '6000',
  'listener.security.protocol.map':
    'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
  'log.flush.interval.messages': '9223372036854775807',
  'log.index.interval.bytes': '4096',
  'log.message.timestamp.difference.max.ms': '9223372036854775807',
  'log.retention.bytes': '-1',
  'log.retention.check.interval.ms': '300000',
  'log.retention.hours': '168',
  'log.roll.hours': '168',
  'log.segment.bytes': '1073741824',
  'message.max.bytes': '1048588',
  'min.insync.replicas': '1',
  'num.partitions': '1',
  'replica.fetch.max.bytes': '1048576',
  'replica.fetch.wait.max.ms': '500',
  'replica.lag.time.max.ms': '30000',
  'socket.request.max.bytes': '104857600',
  'unclean.leader.election.enable': 'false',
  'zookeeper.session.timeout.ms': '18000',
};

const DESCRIBE = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}
for kind, name in (('topic', sys.argv[2]), ('broker', '1')):
    resource = ConfigResource(kind, name)
    configs = admin.describe_configs([resource])[resource].result(timeout=20)
    out[kind] = {key: entry.value for key, entry in configs.items()}
print(json.dumps(out))
`;

let broker: SingleBroker;

beforeAll(async () => {
  broker = await startSingleBroker();
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  try {
    expect((await admin.createTopics([{ name: 'plain' }])).filter((r) => r.error)).toEqual([]);
  } finally {
    await admin.close();
  }
});

afterAll(async () => {
  await broker?.close();
});

describe('DescribeConfigs as confluent-kafka-python reads it', () => {
  it('reports a value for every topic and broker config, equal to Kafka 2.8 defaults', async () => {
    const { stdout } = await runToEnd('/usr/bin/python3', ['-c', DESCRIBE, broker.bootstrap, 'plain'], {
      timeoutMs: 60_000,
    });
    const described = JSON.parse(stdout) as Record<'topic' | 'broker', Record<string, string | null>>;
    const withoutValue = (configs: Record<string, string | null>) =>
      Object.entries(configs)
        .filter(([, value]) => value === null)
        .map(([key]) => key);
    expect(withoutValue(described.topic)).toEqual([]);
    expect(withoutValue(described.broker)).toEqual([]);
    expect(described.topic).toEqual(KAFKA_TOPIC_DEFAULTS);
    const brokerDefaults = Object.fromEntries(
      Object.keys(KAFKA_BROKER_DEFAULTS).map((key) => [key, described.broker[key]]),
    );
    expect(brokerDefaults).toEqual(KAFKA_BROKER_DEFAULTS);
  });
});
