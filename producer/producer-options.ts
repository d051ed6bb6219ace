import { CompressionCodec } from '../protocol/compression.js';
import type { Partitioner } from './partitioner.js';

export type AcksOption = 0 | 1 | -1 | 'all';
export type CompressionOption = CompressionCodec | 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Producer settings; names follow the Java client's (camelCased), defaults noted. */
export interface ProducerOptions {
  /** ZooKeeper `host:port[,…][/chroot]`: brokers and leaders are watched there. One of this and bootstrapServers. */
  zookeeper?: string;
  /** `host:port` brokers to ask for Metadata (Kafka's bootstrap.servers). */
  bootstrapServers?: readonly string[];
  clientId?: string;
  /** TCP connect timeout per broker. Default 10 s. */
  connectTimeoutMs?: number;
  /** 0: no answer; 1: the leader has it; -1/'all': every in-sync replica has it. Default 'all'. */
  acks?: AcksOption;
  /** Default 'none'. */
  compression?: CompressionOption;
  /** How long a batch may wait for more records. Default 5 ms. */
  lingerMs?: number;
  /** Bytes of records per batch (per partition). Default 512 KiB. */
  batchSize?: number;
  /** Bytes per Produce request. Default 1 MiB (a batch bigger than this still goes, alone). */
  maxRequestSize?: number;
  /** Retries of a retriable failure, within deliveryTimeoutMs. Default unlimited. */
  retries?: number;
  /** Default 100 ms. */
  retryBackoffMs?: number;
  /** Time from send() to acknowledgement, retries included, before the record fails. Default 120 s. */
  deliveryTimeoutMs?: number;
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Produce requests awaiting an answer per broker. Default 5. */
  maxInFlightPerBroker?: number;
  /** Bytes of unacknowledged records; send() waits when they are exhausted. Default 32 MiB. */
  bufferMemory?: number;
  /**
   * Broker-side de-duplication of retries (InitProducerId + sequence numbers). Default true;
   * impossible with acks=0 (no answers to track), so acks=0 turns the default off.
   */
  idempotent?: boolean;
  partitioner?: Partitioner;
  /** Told of each retried batch with the broker's error, so a tool can say why sends are slow. */
  onRetry?: RetryListener;
}

export interface RetryEvent {
  topic: string;
  partition: number;
  /** Attempts made so far (1 at the first retry). */
  attempt: number;
  error: Error;
}

export type RetryListener = (event: RetryEvent) => void;

export interface ResolvedProducerOptions {
  acks: 0 | 1 | -1;
  compression: CompressionCodec;
  lingerMs: number;
  batchSize: number;
  maxRequestSize: number;
  retries: number;
  retryBackoffMs: number;
  deliveryTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlightPerBroker: number;
  bufferMemory: number;
  idempotent: boolean;
}

const CODECS: Record<string, CompressionCodec> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
};

export function parseCompression(value: CompressionOption): CompressionCodec {
  if (typeof value === 'number') return value;
  const codec = CODECS[value];
  if (codec === undefined)
    throw new Error(`unknown compression ${JSON.stringify(value)} (none, gzip, snappy, lz4, zstd)`);
  return codec;
}

export function parseAcks(value: AcksOption | string): 0 | 1 | -1 {
  if (value === 'all' || value === -1 || value === '-1') return -1;
  if (value === 0 || value === '0') return 0;
  if (value === 1 || value === '1') return 1;
  throw new Error(`acks must be 0, 1, -1 or all, not ${JSON.stringify(value)}`);
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) && value !== Infinity) throw new Error(`${name} must be a number`);
  if (value < 0 || (!allowZero && value === 0))
    throw new Error(`${name} must be ${allowZero ? '≥ 0' : '> 0'}`);
  return value;
}

export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  const acks = parseAcks(options.acks ?? 'all');
  const idempotent = options.idempotent ?? acks !== 0;
  if (idempotent && acks === 0) throw new Error('an idempotent producer needs acks 1 or all');
  return {
    acks,
    compression: parseCompression(options.compression ?? 'none'),
    lingerMs: positive('lingerMs', options.lingerMs ?? 5, true),
    batchSize: positive('batchSize', options.batchSize ?? 512 * 1024),
    maxRequestSize: positive('maxRequestSize', options.maxRequestSize ?? 1024 * 1024),
    retries: positive('retries', options.retries ?? Infinity, true),
    retryBackoffMs: positive('retryBackoffMs', options.retryBackoffMs ?? 100, true),
    deliveryTimeoutMs: positive('deliveryTimeoutMs', options.deliveryTimeoutMs ?? 120_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 30_000),
    maxInFlightPerBroker: positive('maxInFlightPerBroker', options.maxInFlightPerBroker ?? 5),
    bufferMemory: positive('bufferMemory', options.bufferMemory ?? 32 * 1024 * 1024),
    idempotent,
  };
}
