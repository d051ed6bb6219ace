import { readFile } from 'node:fs/promises';

/**
 * Broker configuration, as Kafka users write it: a server.properties file with Kafka's key names,
 * overridden by `SLUICE_*` environment variables (SLUICE_BROKER_ID → broker.id), overridden by
 * `--override key=value` flags. Every key the broker understands is declared once below; the same table
 * answers DescribeConfigs.
 */

type ConfigType = 'int' | 'long' | 'boolean' | 'string' | 'list' | 'double';

interface ConfigDefinition {
  type: ConfigType;
  default: string | null;
  doc: string;
  /** Topic-level key that overrides this broker default (DescribeConfigs and /config/topics). */
  topicKey?: string;
}

export const brokerConfigDefinitions = {
  'broker.id': { type: 'int', default: '0', doc: 'This broker’s id; unique in the cluster.' },
  listeners: { type: 'list', default: 'PLAINTEXT://127.0.0.1:9092', doc: 'Addresses to listen on.' },
  'advertised.listeners': {
    type: 'list',
    default: null,
    doc: 'Addresses clients are told to use (default: listeners).',
  },
  'listener.security.protocol.map': {
    type: 'list',
    default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    doc: 'Listener name to security protocol (only PLAINTEXT is served).',
  },
  'inter.broker.listener.name': {
    type: 'string',
    default: null,
    doc: 'Listener other brokers use (default: the first listener).',
  },
  'log.dirs': { type: 'list', default: null, doc: 'Where partition logs live (first entry is used).' },
  'log.dir': { type: 'string', default: './data/broker-0', doc: 'Used when log.dirs is not set.' },
  'zookeeper.connect': {
    type: 'string',
    default: '127.0.0.1:2181',
    doc: 'ZooKeeper connection string, host:port[,host:port…][/chroot].',
  },
  'zookeeper.session.timeout.ms': { type: 'int', default: '18000', doc: 'ZooKeeper session timeout.' },
  'zookeeper.connection.timeout.ms': {
    type: 'int',
    default: '18000',
    doc: 'How long to wait for the first ZooKeeper connection.',
  },
  'num.partitions': { type: 'int', default: '1', doc: 'Partitions of auto-created topics.' },
  'default.replication.factor': {
    type: 'int',
    default: '1',
    doc: 'Replication factor of auto-created topics.',
  },
  'min.insync.replicas': {
    type: 'int',
    default: '1',
    doc: 'Fewest in-sync replicas for acks=all.',
    topicKey: 'min.insync.replicas',
  },
  'log.segment.bytes': {
    type: 'int',
    default: '1073741824',
    doc: 'Segment size before a roll.',
    topicKey: 'segment.bytes',
  },
  'log.roll.ms': { type: 'long', default: null, doc: 'Segment age before a roll.', topicKey: 'segment.ms' },
  'log.roll.hours': { type: 'int', default: '168', doc: 'Segment age before a roll, in hours.' },
  'log.retention.ms': {
    type: 'long',
    default: null,
    doc: 'Age after which segments are deleted (-1: forever).',
    topicKey: 'retention.ms',
  },
  'log.retention.minutes': { type: 'int', default: null, doc: 'Retention in minutes.' },
  'log.retention.hours': { type: 'int', default: '168', doc: 'Retention in hours.' },
  'log.retention.bytes': {
    type: 'long',
    default: '-1',
    doc: 'Partition size above which old segments are deleted (-1: no limit).',
    topicKey: 'retention.bytes',
  },
  'log.retention.check.interval.ms': {
    type: 'long',
    default: '300000',
    doc: 'How often retention is applied.',
  },
  'log.flush.interval.messages': {
    type: 'long',
    default: '9223372036854775807',
    doc: 'Messages appended before an fsync.',
    topicKey: 'flush.messages',
  },
  'log.flush.interval.ms': {
    type: 'long',
    default: null,
    doc: 'Longest time data stays unflushed.',
    topicKey: 'flush.ms',
  },
  'log.index.interval.bytes': {
    type: 'int',
    default: '4096',
    doc: 'Bytes between offset-index entries.',
    topicKey: 'index.interval.bytes',
  },
  'message.max.bytes': {
    type: 'int',
    default: '1048588',
    doc: 'Largest record batch accepted.',
    topicKey: 'max.message.bytes',
  },
  'log.message.timestamp.difference.max.ms': {
    type: 'long',
    default: '9223372036854775807',
    doc: 'Largest distance between a CreateTime record timestamp and the broker clock (else 32 INVALID_TIMESTAMP).',
    topicKey: 'message.timestamp.difference.max.ms',
  },
  'sluice.decompression.max.ratio': {
    type: 'int',
    default: '64',
    doc: 'A compressed batch may inflate to at most this many times max.message.bytes (else 87 INVALID_RECORD).',
  },
  'compression.type': {
    type: 'string',
    default: 'producer',
    doc: 'Codec batches are stored in: producer (as they arrive), uncompressed, gzip, snappy, lz4 or zstd.',
    topicKey: 'compression.type',
  },
  'socket.request.max.bytes': { type: 'int', default: '104857600', doc: 'Largest request frame accepted.' },
  // Kafka's default is -1 (unbounded); a laptop broker gets a bound: 256 MiB holds two maximum-size
  // requests and thousands of ordinary ones, and is the most request bytes the broker holds at once.
  'queued.max.request.bytes': {
    type: 'long',
    default: '268435456',
    doc: 'Memory pool for requests being read and queued, broker-wide (-1: unbounded); reading pauses when full.',
  },
  'max.connections': {
    type: 'int',
    default: '2147483647',
    doc: 'Most client connections at once (the inter-broker listener is not counted); more are closed.',
  },
  'max.connections.per.ip': {
    type: 'int',
    default: '2147483647',
    doc: 'Most connections from one IP address; more are closed.',
  },
  'max.connections.per.ip.overrides': {
    type: 'string',
    default: '',
    doc: 'Per-IP limits overriding max.connections.per.ip: ip:count,ip:count.',
  },
  // Not a Kafka key: Kafka has no deadline for a request arriving slowly (a trickle resets idle timers).
  'sluice.request.read.timeout.ms': {
    type: 'long',
    default: '30000',
    doc: 'A request frame must arrive whole within this long of its first byte, or the connection is closed.',
  },
  'auto.create.topics.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'Create topics on first metadata/produce.',
  },
  'delete.topic.enable': { type: 'boolean', default: 'true', doc: 'Allow topic deletion.' },
  'unclean.leader.election.enable': {
    type: 'boolean',
    default: 'false',
    doc: 'Elect an out-of-sync replica when no ISR member is alive.',
    topicKey: 'unclean.leader.election.enable',
  },
  'replica.lag.time.max.ms': {
    type: 'long',
    default: '30000',
    doc: 'Follower lag after which it leaves the ISR.',
  },
  'replica.fetch.wait.max.ms': { type: 'int', default: '500', doc: 'Follower fetch long-poll time.' },
  'replica.fetch.max.bytes': { type: 'int', default: '1048576', doc: 'Follower fetch size per partition.' },
  'controlled.shutdown.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'Move leadership away before shutting down.',
  },
  'auto.leader.rebalance.enable': {
    type: 'boolean',
    default: 'true',
    doc: 'Move leadership back to preferred replicas.',
  },
  'group.initial.rebalance.delay.ms': {
    type: 'int',
    default: '3000',
    doc: 'Wait for more members before the first rebalance of an empty group.',
  },
  'group.min.session.timeout.ms': { type: 'int', default: '6000', doc: 'Shortest member session timeout.' },
  'group.max.session.timeout.ms': {
    type: 'int',
    default: '1800000',
    doc: 'Longest member session timeout.',
  },
  'connections.max.idle.ms': {
    type: 'long',
    default: '600000',
    doc: 'Idle connections are closed after this.',
  },
} as const satisfies Record<string, ConfigDefinition>;

export type BrokerConfigKey = keyof typeof brokerConfigDefinitions;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses Java .properties text: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` continues. */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.trimStart();
    }
    const match = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = match ? match[1]! : line;
    const value = match ? match[2]! : '';
    result.set(unescapeProperty(key), unescapeProperty(value.trimEnd()));
  }
  return result;
}

function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escape: string) => {
    if (escape.startsWith('u') && escape.length === 5)
      return String.fromCharCode(parseInt(escape.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[escape] ?? escape;
  });
}

/** `SLUICE_LOG_RETENTION_MS` → `log.retention.ms`, for the keys the broker knows. */
export function propertiesFromEnvironment(env: NodeJS.ProcessEnv): Map<string, string> {
  const byEnvName = new Map<string, string>();
  for (const key of Object.keys(brokerConfigDefinitions)) {
    byEnvName.set('SLUICE_' + key.toUpperCase().replace(/\./g, '_'), key);
  }
  const result = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    const key = byEnvName.get(name);
    if (key !== undefined && value !== undefined) result.set(key, value);
  }
  return result;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerConfig {
  brokerId: number;
  listeners: Listener[];
  advertisedListeners: Listener[];
  /** Listener name → security protocol; every listener name must map to PLAINTEXT. */
  listenerSecurityProtocols: Map<string, string>;
  interBrokerListenerName: string;
  logDir: string;
  zookeeperConnect: string;
  zookeeperSessionTimeoutMs: number;
  zookeeperConnectionTimeoutMs: number;
  numPartitions: number;
  defaultReplicationFactor: number;
  minInsyncReplicas: number;
  logSegmentBytes: number;
  logRollMs: number;
  logRetentionMs: number;
  logRetentionBytes: number;
  logRetentionCheckIntervalMs: number;
  logFlushIntervalMessages: number;
  logFlushIntervalMs: number | null;
  logIndexIntervalBytes: number;
  messageMaxBytes: number;
  logMessageTimestampDifferenceMaxMs: number;
  decompressionMaxRatio: number;
  compressionType: TopicCompressionType;
  socketRequestMaxBytes: number;
  /** Bytes of request frames held at once, broker-wide; -1 unbounded. */
  queuedMaxRequestBytes: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** IP address (as the socket reports it, IPv4 unmapped) → its own connection limit. */
  maxConnectionsPerIpOverrides: Map<string, number>;
  requestReadTimeoutMs: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  uncleanLeaderElectionEnable: boolean;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  controlledShutdownEnable: boolean;
  autoLeaderRebalanceEnable: boolean;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  connectionsMaxIdleMs: number;
  /** Every key with its effective value (or null) and whether it was set explicitly. */
  entries: Map<BrokerConfigKey, { value: string | null; isDefault: boolean }>;
}

/** Values of compression.type (broker and topic key), as Kafka spells them. */
export const TOPIC_COMPRESSION_TYPES = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type TopicCompressionType = (typeof TOPIC_COMPRESSION_TYPES)[number];

export function isTopicCompressionType(value: string): value is TopicCompressionType {
  return (TOPIC_COMPRESSION_TYPES as readonly string[]).includes(value);
}

function compressionType(value: string | null): TopicCompressionType {
  const text = (value ?? '').toLowerCase();
  if (!isTopicCompressionType(text)) {
    throw new ConfigError(
      `compression.type must be one of ${TOPIC_COMPRESSION_TYPES.join(', ')}, got ${JSON.stringify(value)}`,
      'compression.type',
    );
  }
  return text;
}

/** Builds the effective config from layered sources (later sources win), validating every value. */
export function resolveBrokerConfig(...sources: Array<Map<string, string>>): BrokerConfig {
  const explicit = new Map<string, string>();
  for (const source of sources) for (const [k, v] of source) explicit.set(k, v);

  const entries = new Map<BrokerConfigKey, { value: string | null; isDefault: boolean }>();
  for (const [key, definition] of Object.entries(brokerConfigDefinitions) as Array<
    [BrokerConfigKey, ConfigDefinition]
  >) {
    const value = explicit.get(key);
    entries.set(
      key,
      value === undefined ? { value: definition.default, isDefault: true } : { value, isDefault: false },
    );
  }

  const raw = (key: BrokerConfigKey): string | null => entries.get(key)!.value;
  const int = (key: BrokerConfigKey): number => {
    const text = raw(key);
    const value = text === null ? NaN : Number(text);
    if (!Number.isFinite(value) || !Number.isInteger(value)) {
      throw new ConfigError(`${key} must be a whole number, got ${JSON.stringify(text)}`, key);
    }
    return value;
  };
  const optionalInt = (key: BrokerConfigKey): number | null => (raw(key) === null ? null : int(key));
  const long = (key: BrokerConfigKey): number => {
    const text = raw(key);
    // Kafka's "unlimited" Long.MAX_VALUE defaults do not fit a double exactly; clamp to the safe range.
    if (text !== null && /^\d{16,}$/.test(text)) return Number.MAX_SAFE_INTEGER;
    return int(key);
  };
  const optionalLong = (key: BrokerConfigKey): number | null => (raw(key) === null ? null : long(key));
  const bool = (key: BrokerConfigKey): boolean => {
    const text = raw(key)?.toLowerCase();
    if (text !== 'true' && text !== 'false') throw new ConfigError(`${key} must be true or false`, key);
    return text === 'true';
  };

  const listeners = parseListeners(raw('listeners') ?? '', 'listeners');
  if (listeners.length === 0) throw new ConfigError('listeners must name at least one address', 'listeners');
  const advertisedText = raw('advertised.listeners');
  const advertisedListeners =
    advertisedText === null ? listeners : parseListeners(advertisedText, 'advertised.listeners');

  const listenerSecurityProtocols = new Map<string, string>();
  for (const pair of (raw('listener.security.protocol.map') ?? '').split(',')) {
    const [name, protocol] = pair.split(':').map((part) => part.trim().toUpperCase());
    if (name && protocol) listenerSecurityProtocols.set(name, protocol);
  }
  for (const listener of [...listeners, ...advertisedListeners]) {
    const protocol =
      listenerSecurityProtocols.get(listener.name) ??
      (listener.name === 'PLAINTEXT' ? 'PLAINTEXT' : undefined);
    if (protocol !== 'PLAINTEXT') {
      throw new ConfigError(
        `listener ${listener.name} needs a PLAINTEXT entry in listener.security.protocol.map (only PLAINTEXT is served)`,
        'listener.security.protocol.map',
      );
    }
  }
  const interBrokerListenerName = (raw('inter.broker.listener.name') ?? listeners[0]!.name).toUpperCase();
  if (!advertisedListeners.some((listener) => listener.name === interBrokerListenerName)) {
    throw new ConfigError(
      `inter.broker.listener.name ${interBrokerListenerName} is not among the advertised listeners`,
      'inter.broker.listener.name',
    );
  }

  const logDirs = raw('log.dirs');
  const logDir = logDirs !== null ? logDirs.split(',')[0]!.trim() : raw('log.dir')!;

  // Kafka's precedence: log.retention.ms, then .minutes, then .hours; a negative value means forever.
  const retentionMinutes = optionalInt('log.retention.minutes');
  const retentionMs =
    optionalLong('log.retention.ms') ??
    (retentionMinutes !== null ? retentionMinutes * 60_000 : int('log.retention.hours') * 3_600_000);
  const rollMs = optionalLong('log.roll.ms') ?? int('log.roll.hours') * 3_600_000;

  const config: BrokerConfig = {
    brokerId: int('broker.id'),
    listeners,
    advertisedListeners,
    listenerSecurityProtocols,
    interBrokerListenerName,
    logDir,
    zookeeperConnect: raw('zookeeper.connect')!,
    zookeeperSessionTimeoutMs: int('zookeeper.session.timeout.ms'),
    zookeeperConnectionTimeoutMs: int('zookeeper.connection.timeout.ms'),
    numPartitions: int('num.partitions'),
    defaultReplicationFactor: int('default.replication.factor'),
    minInsyncReplicas: int('min.insync.replicas'),
    logSegmentBytes: int('log.segment.bytes'),
    logRollMs: rollMs,
    logRetentionMs: retentionMs,
    logRetentionBytes: long('log.retention.bytes'),
    logRetentionCheckIntervalMs: long('log.retention.check.interval.ms'),
    logFlushIntervalMessages: long('log.flush.interval.messages'),
    logFlushIntervalMs: optionalLong('log.flush.interval.ms'),
    logIndexIntervalBytes: int('log.index.interval.bytes'),
    messageMaxBytes: int('message.max.bytes'),
    logMessageTimestampDifferenceMaxMs: long('log.message.timestamp.difference.max.ms'),
    decompressionMaxRatio: int('sluice.decompression.max.ratio'),
    compressionType: compressionType(raw('compression.type')),
    socketRequestMaxBytes: int('socket.request.max.bytes'),
    queuedMaxRequestBytes: long('queued.max.request.bytes'),
    maxConnections: int('max.connections'),
    maxConnectionsPerIp: int('max.connections.per.ip'),
    maxConnectionsPerIpOverrides: parseConnectionOverrides(raw('max.connections.per.ip.overrides') ?? ''),
    requestReadTimeoutMs: long('sluice.request.read.timeout.ms'),
    autoCreateTopicsEnable: bool('auto.create.topics.enable'),
    deleteTopicEnable: bool('delete.topic.enable'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
    replicaLagTimeMaxMs: long('replica.lag.time.max.ms'),
    replicaFetchWaitMaxMs: int('replica.fetch.wait.max.ms'),
    replicaFetchMaxBytes: int('replica.fetch.max.bytes'),
    controlledShutdownEnable: bool('controlled.shutdown.enable'),
    autoLeaderRebalanceEnable: bool('auto.leader.rebalance.enable'),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: int('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: int('group.max.session.timeout.ms'),
    connectionsMaxIdleMs: long('connections.max.idle.ms'),
    entries,
  };
  if (config.brokerId < 0) throw new ConfigError('broker.id must be 0 or more', 'broker.id');
  if (config.numPartitions < 1) throw new ConfigError('num.partitions must be at least 1', 'num.partitions');
  if (config.minInsyncReplicas < 1) {
    throw new ConfigError('min.insync.replicas must be at least 1', 'min.insync.replicas');
  }
  if (config.queuedMaxRequestBytes >= 0 && config.queuedMaxRequestBytes < config.socketRequestMaxBytes) {
    // Kafka's rule: the pool must hold the largest frame, or such a frame would wait forever.
    throw new ConfigError(
      'queued.max.request.bytes must be -1 or at least socket.request.max.bytes',
      'queued.max.request.bytes',
    );
  }
  for (const key of ['max.connections', 'max.connections.per.ip'] as const) {
    if (int(key) < 0) throw new ConfigError(`${key} must be 0 or more`, key);
  }
  return config;
}

/** `127.0.0.1:100,::1:5` (the count after the last colon) → IP address → limit. */
export function parseConnectionOverrides(text: string): Map<string, number> {
  const key = 'max.connections.per.ip.overrides';
  const result = new Map<string, number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const at = part.lastIndexOf(':');
    const count = Number(part.slice(at + 1));
    if (at <= 0 || !Number.isInteger(count) || count < 0) {
      throw new ConfigError(`${key}: cannot read ${JSON.stringify(part)} (want ip:count)`, key);
    }
    result.set(part.slice(0, at).replace(/^\[|\]$/g, ''), count);
  }
  return result;
}

/** `PLAINTEXT://host:port,OTHER://[::1]:9093`; an empty host means all interfaces, as in Kafka. */
export function parseListeners(text: string, key: string): Listener[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]+\]|[^:]*):(\d+)$/.exec(part);
      if (!match)
        throw new ConfigError(`${key}: cannot read ${JSON.stringify(part)} (want NAME://host:port)`, key);
      const port = Number(match[3]);
      if (port > 65535) throw new ConfigError(`${key}: port ${port} is out of range`, key);
      return { name: match[1]!.toUpperCase(), host: match[2]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
    });
}

/** Reads server.properties (if given), the environment and `key=value` overrides, in that order. */
export async function loadBrokerConfig({
  file,
  overrides = [],
  env = process.env,
}: {
  file?: string;
  overrides?: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<BrokerConfig> {
  const fromFile =
    file === undefined ? new Map<string, string>() : parseProperties(await readFile(file, 'utf8'));
  const fromFlags = new Map<string, string>();
  for (const override of overrides) {
    const at = override.indexOf('=');
    if (at <= 0) throw new ConfigError(`--override wants key=value, got ${JSON.stringify(override)}`);
    fromFlags.set(override.slice(0, at).trim(), override.slice(at + 1).trim());
  }
  return resolveBrokerConfig(fromFile, propertiesFromEnvironment(env), fromFlags);
}
