import { brokerConfigDefinitions, type BrokerConfig, type BrokerConfigKey } from '../config.js';

/**
 * Topic-level config keys (Kafka's names) and where their default comes from: a broker key
 * (log.retention.ms → retention.ms) or a fixed Kafka default for keys sluice has no broker key for.
 */
export interface TopicConfigKey {
  name: string;
  brokerKey: BrokerConfigKey | null;
  fixedDefault: string | null;
}

const FIXED_TOPIC_DEFAULTS: Record<string, string> = {
  'cleanup.policy': 'delete',
  'compression.type': 'producer',
  'message.timestamp.type': 'CreateTime',
};

export const TOPIC_CONFIG_KEYS: readonly TopicConfigKey[] = [
  ...(Object.entries(brokerConfigDefinitions) as Array<[BrokerConfigKey, { topicKey?: string }]>)
    .filter(([, definition]) => definition.topicKey !== undefined)
    .map(([brokerKey, definition]) => ({ name: definition.topicKey!, brokerKey, fixedDefault: null })),
  ...Object.entries(FIXED_TOPIC_DEFAULTS).map(([name, value]) => ({
    name,
    brokerKey: null,
    fixedDefault: value,
  })),
];

export function isTopicConfigKey(name: string): boolean {
  return TOPIC_CONFIG_KEYS.some((key) => key.name === name);
}

/**
 * The broker's effective value for a topic key. Derived settings (retention from .hours, roll from
 * .hours) are the resolved numbers, as Kafka reports them.
 */
export function brokerDefaultFor(key: TopicConfigKey, config: BrokerConfig): string | null {
  if (key.brokerKey === null) return key.fixedDefault;
  switch (key.brokerKey) {
    case 'log.retention.ms':
      return String(config.logRetentionMs);
    case 'log.roll.ms':
      return String(config.logRollMs);
    default:
      return config.entries.get(key.brokerKey)?.value ?? null;
  }
}
