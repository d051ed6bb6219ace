import { createRequire } from 'node:module';
import { crc32 } from '@node-rs/crc32';
import { type CompressionCodec, compressSync } from '../../protocol/compression.js';

/**
 * Legacy message sets (magic 0 and 1, what Produce v0-2 carry), written by kafkajs's own legacy
 * encoders (its Produce v0-2 requests use them), so the tests do not check our reader against our
 * own idea of the format. Compressed sets are a single wrapper message whose value is the inner set
 * compressed, as Kafka's producers write them.
 */

const require = createRequire(import.meta.url);

interface KafkaJsLegacyEntry {
  key: Buffer | null;
  value: Buffer | null;
  /** Magic 1 only: epoch ms, as a decimal string (kafkajs takes any Long.fromValue input). */
  timestamp?: string;
  /** The codec (kafkajs writes only attribute bits 0-2). */
  compression?: number;
}

const kafkajsMessageSet = require('kafkajs/src/protocol/messageSet/index.js') as (args: {
  messageVersion: 0 | 1;
  compression?: number;
  entries: KafkaJsLegacyEntry[];
}) => { buffer: Buffer };

export interface LegacyMessageInput {
  key: string | Buffer | null;
  value: string | Buffer | null;
  /** Magic 1 only. */
  timestamp?: bigint;
}

const bytes = (v: string | Buffer | null): Buffer | null => (typeof v === 'string' ? Buffer.from(v) : v);

/** An uncompressed message set (every message's offset -1, as kafkajs writes it). */
export function legacyMessageSet(magic: 0 | 1, messages: LegacyMessageInput[]): Buffer {
  return kafkajsMessageSet({
    messageVersion: magic,
    entries: messages.map((m) => ({
      key: bytes(m.key),
      value: bytes(m.value),
      timestamp: (m.timestamp ?? 0n).toString(),
    })),
  }).buffer;
}

export interface WrapperOptions {
  /** Wrapper timestamp (magic 1); defaults to the last inner message's. */
  timestamp?: bigint;
  /** Magic 1: set the wrapper's LogAppendTime bit. */
  logAppendTime?: boolean;
  /** How the inner set is compressed; defaults to sluice's writer for `codec`. */
  compress?: (inner: Buffer) => Buffer;
}

/** One wrapper message holding `messages` (an uncompressed inner set) compressed with `codec`. */
export function compressedLegacyMessageSet(
  magic: 0 | 1,
  codec: CompressionCodec,
  messages: LegacyMessageInput[],
  options: WrapperOptions = {},
): Buffer {
  const inner = legacyMessageSet(magic, messages);
  return wrapLegacyMessageSet(magic, codec, (options.compress ?? ((b) => compressSync(codec, b)))(inner), {
    ...options,
    timestamp: options.timestamp ?? messages[messages.length - 1]?.timestamp,
  });
}

/** A wrapper message with `value` as it is (already compressed, or deliberately not). */
export function wrapLegacyMessageSet(
  magic: 0 | 1,
  codec: number,
  value: Buffer | null,
  options: Omit<WrapperOptions, 'compress'> = {},
): Buffer {
  const set = kafkajsMessageSet({
    messageVersion: magic,
    compression: codec,
    entries: [{ key: null, value, timestamp: (options.timestamp ?? 0n).toString(), compression: codec }],
  }).buffer;
  if (options.logAppendTime) {
    set[FIRST_MESSAGE_CRC_POSITION + 5] = codec | 0x08;
    resealFirstMessage(set);
  }
  return set;
}

/** Byte position of the first message's CRC in a message set (after its offset and size). */
export const FIRST_MESSAGE_CRC_POSITION = 12;

/** Recomputes the first message's CRC (CRC-32 over magic to the end) after a deliberate edit. */
export function resealFirstMessage(set: Buffer): void {
  const size = set.readInt32BE(8);
  const end = FIRST_MESSAGE_CRC_POSITION + size;
  set.writeUInt32BE(
    crc32(set.subarray(FIRST_MESSAGE_CRC_POSITION + 4, end)) >>> 0,
    FIRST_MESSAGE_CRC_POSITION,
  );
}
