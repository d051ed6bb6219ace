/**
 * Per-partition log settings, named after Kafka's topic-level configs (segment.bytes, segment.ms,
 * retention.ms, retention.bytes, flush.messages, flush.ms, index.interval.bytes, max.message.bytes).
 * The broker maps server.properties (log.segment.bytes, …) and topic overrides onto this shape.
 */
export interface LogConfig {
  /** Roll the active segment when an append would grow it past this many bytes. */
  segmentBytes: number;
  /** Roll the active segment once it is this old (ms since its first batch's timestamp or creation). */
  segmentMs: number;
  /** Delete closed segments whose newest timestamp is older than this; negative = keep forever. */
  retentionMs: number;
  /** Delete oldest closed segments while the log exceeds this many bytes; negative = no limit. */
  retentionBytes: number;
  /** fsync once this many messages are unflushed; 1 = every append is durable before it resolves. */
  flushIntervalMessages: number;
  /** fsync unflushed data at least this often; Infinity = leave it to the OS. */
  flushIntervalMs: number;
  /** Bytes of batches between two sparse index entries. */
  indexIntervalBytes: number;
  /** Largest batch (LOG_OVERHEAD + batchLength) an append accepts. */
  maxMessageBytes: number;
  /**
   * message.timestamp.type: CreateTime keeps the producer's timestamps; LogAppendTime makes the
   * leader stamp its clock into each batch's maxTimestamp (one CRC recomputation per batch).
   */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.difference.max.ms: how far a produced CreateTime timestamp may be from now. */
  messageTimestampDifferenceMaxMs: number;
  /**
   * sluice.decompression.max.ratio: a compressed batch may inflate to at most this many times
   * maxMessageBytes, on produce and whenever the broker decodes a stored batch (compression bombs).
   */
  decompressionMaxRatio: number;
}

/** Kafka's defaults: 1 GiB segments, 7 days, no size limit, flushing left to the OS. */
export const defaultLogConfig: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  flushIntervalMessages: Number.POSITIVE_INFINITY,
  flushIntervalMs: Number.POSITIVE_INFINITY,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1024 * 1024 + 12,
  messageTimestampType: 'CreateTime',
  messageTimestampDifferenceMaxMs: Number.POSITIVE_INFINITY,
  decompressionMaxRatio: 64,
};

/** The most bytes a stored or produced batch of this log may decompress to. */
export function maxDecompressedBytes(
  config: Pick<LogConfig, 'maxMessageBytes' | 'decompressionMaxRatio'>,
): number {
  return config.maxMessageBytes * config.decompressionMaxRatio;
}

/** Positions in the sparse index are u32, so a segment may not outgrow that (Kafka caps at 2 GiB too). */
export const MAX_SEGMENT_BYTES = 0x7fffffff;

export function resolveLogConfig(partial: Partial<LogConfig> = {}): LogConfig {
  const config = { ...defaultLogConfig, ...partial };
  if (!(config.segmentBytes >= 128 && config.segmentBytes <= MAX_SEGMENT_BYTES)) {
    throw new RangeError(`segmentBytes must be in [128, ${MAX_SEGMENT_BYTES}], got ${config.segmentBytes}`);
  }
  if (!(config.segmentMs > 0)) throw new RangeError(`segmentMs must be positive, got ${config.segmentMs}`);
  if (!(config.flushIntervalMessages >= 1)) {
    throw new RangeError(`flushIntervalMessages must be >= 1, got ${config.flushIntervalMessages}`);
  }
  if (!(config.flushIntervalMs > 0)) {
    throw new RangeError(`flushIntervalMs must be positive, got ${config.flushIntervalMs}`);
  }
  if (!(config.indexIntervalBytes >= 1)) {
    throw new RangeError(`indexIntervalBytes must be >= 1, got ${config.indexIntervalBytes}`);
  }
  if (!(config.maxMessageBytes >= 61)) {
    throw new RangeError(`maxMessageBytes must be >= 61, got ${config.maxMessageBytes}`);
  }
  return config;
}
