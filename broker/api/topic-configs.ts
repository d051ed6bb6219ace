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

/** Kafka's lower bounds for numeric topic keys (TopicConfig / LogConfig validators). */
const TOPIC_MINIMUMS: Record<string, number> = {
  'segment.bytes': 14,
  'segment.ms': 1,
  'retention.ms': -1,
  'flush.messages': 1,
  'flush.ms': 0,
  'index.interval.bytes': 0,
  'max.message.bytes': 0,
  'min.insync.replicas': 1,
};

/**
 * Values sluice accepts for the keys without a broker key. Kafka accepts more (compaction, broker-side
 * recompression); sluice refuses what it does not do rather than store a setting it would ignore.
 */
const TOPIC_CHOICES: Record<string, readonly string[]> = {
  'cleanup.policy': ['delete'],
  'compression.type': ['producer'],
  'message.timestamp.type': ['CreateTime', 'LogAppendTime'],
};

/** Why `value` is not valid for topic key `name` (one line for INVALID_CONFIG), or null if it is. */
export function topicConfigValueProblem(name: string, value: string): string | null {
  const key = TOPIC_CONFIG_KEYS.find((k) => k.name === name);
  if (key === undefined) return `unknown topic config ${name}`;
  const choices = TOPIC_CHOICES[name];
  if (choices !== undefined) {
    return choices.includes(value)
      ? null
      : `${name}=${value} is not supported (sluice takes ${choices.join(' or ')})`;
  }
  if (key.brokerKey === null) return null;
  switch (brokerConfigDefinitions[key.brokerKey].type) {
    case 'boolean':
      return value === 'true' || value === 'false' ? null : `${name} must be true or false, got ${value}`;
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value)) return `${name} must be a whole number, got ${value}`;
      const minimum = TOPIC_MINIMUMS[name];
      return minimum !== undefined && Number(value) < minimum
        ? `${name} must be at least ${minimum}, got ${value}`
        : null;
    }
    default:
      return null;
  }
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
