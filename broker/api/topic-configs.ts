import {
  brokerConfigDefinitions,
  TOPIC_COMPRESSION_TYPES,
  type BrokerConfig,
  type BrokerConfigKey,
} from '../config.js';

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
 * Values sluice accepts for the keys without a broker key. Kafka accepts more (compaction); sluice refuses what it does not do rather than store a setting it would ignore.
 */
const TOPIC_CHOICES: Record<string, readonly string[]> = {
  'cleanup.policy': ['delete'],
  'compression.type': TOPIC_COMPRESSION_TYPES,
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

/** The broker's effective value for a topic key (see effectiveBrokerValue). */
export function brokerDefaultFor(key: TopicConfigKey, config: BrokerConfig): string {
  if (key.brokerKey === null) return key.fixedDefault ?? '';
  return effectiveBrokerValue(key.brokerKey, config);
}

/** Kafka's Long.MAX_VALUE, its "never" (flush.ms, flush.messages). */
const LONG_MAX = '9223372036854775807';

/**
 * What a broker key amounts to, never null: the explicit or default value, or for keys whose default
 * is "derived from another key" the value derived (retention from .hours, roll from .hours, flush
 * interval = never, advertised listeners = listeners), as Kafka reports for topics (flush.ms =
 * Long.MAX_VALUE). Clients treat a null value as a missing config.
 */
export function effectiveBrokerValue(key: BrokerConfigKey, config: BrokerConfig): string {
  const value = config.entries.get(key)?.value ?? null;
  if (value !== null) return value;
  switch (key) {
    case 'log.retention.ms':
      return String(config.logRetentionMs);
    case 'log.retention.minutes':
      return String(config.logRetentionMs < 0 ? -1 : Math.floor(config.logRetentionMs / 60_000));
    case 'log.roll.ms':
      return String(config.logRollMs);
    case 'log.flush.interval.ms':
      return LONG_MAX;
    case 'log.dirs':
      return config.logDir;
    case 'advertised.listeners':
      return config.advertisedListeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(',');
    case 'inter.broker.listener.name':
      return config.interBrokerListenerName;
    default:
      return '';
  }
}
