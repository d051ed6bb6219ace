import type { TopicConfig } from '../../coordinator/zk-paths.js';
import { isTopicCompressionType, type BrokerConfig, type TopicCompressionType } from '../config.js';
import type { LogConfig } from '../log/log-config.js';

/**
 * The log settings of one topic: broker defaults (log.segment.bytes, …) overridden by the topic's
 * /config/topics entry under Kafka's topic key names (segment.bytes, …).
 */
export function topicLogConfig(broker: BrokerConfig, overrides: TopicConfig): Partial<LogConfig> {
  const num = (key: string, fallback: number): number => {
    const text = overrides[key];
    if (text === undefined) return fallback;
    const value = Number(text);
    return Number.isFinite(value) ? value : fallback;
  };
  const flushMessages = num('flush.messages', broker.logFlushIntervalMessages);
  const flushMs = num('flush.ms', broker.logFlushIntervalMs ?? Number.POSITIVE_INFINITY);
  return {
    segmentBytes: num('segment.bytes', broker.logSegmentBytes),
    segmentMs: num('segment.ms', broker.logRollMs),
    retentionMs: num('retention.ms', broker.logRetentionMs),
    retentionBytes: num('retention.bytes', broker.logRetentionBytes),
    // Kafka's "never" is Long.MAX_VALUE; the log takes Infinity.
    flushIntervalMessages:
      flushMessages >= Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : flushMessages,
    flushIntervalMs: flushMs >= Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : flushMs,
    indexIntervalBytes: num('index.interval.bytes', broker.logIndexIntervalBytes),
    maxMessageBytes: num('max.message.bytes', broker.messageMaxBytes),
    messageTimestampDifferenceMaxMs: num(
      'message.timestamp.difference.max.ms',
      broker.logMessageTimestampDifferenceMaxMs,
    ),
    decompressionMaxRatio: broker.decompressionMaxRatio,
    messageTimestampType:
      overrides['message.timestamp.type'] === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
  };
}

/** A topic's compression.type: its override, else the broker's. */
export function topicCompressionType(broker: BrokerConfig, overrides: TopicConfig): TopicCompressionType {
  const override = overrides['compression.type'];
  return override !== undefined && isTopicCompressionType(override) ? override : broker.compressionType;
}
