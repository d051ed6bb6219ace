import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { topicPartitionKey, type TopicPartition } from '../../protocol/topic-partition.js';
import { readOptionalFile, writeFileAtomically } from '../log/checkpoint-file.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';

/** Kafka's per-log-dir high watermark file. */
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';

export interface CheckpointEntry {
  topicPartition: TopicPartition;
  offset: bigint;
}

/**
 * The high watermarks of every partition in one log dir, in Kafka's text layout: version line (0),
 * entry count, then "topic partition offset" lines. A restarted broker starts each partition's high
 * watermark here (capped at its log end), so a restarted leader never exposes records that were not
 * committed before it stopped.
 */
export class HighWatermarkCheckpoint {
  private readonly path: string;
  private readonly writes = new SerialQueue();

  constructor(logDir: string) {
    this.path = join(logDir, REPLICATION_OFFSET_CHECKPOINT_FILE);
  }

  /** Entries keyed `<topic>-<partition>`; empty when the file is missing or unreadable. */
  async read(): Promise<Map<string, bigint>> {
    const text = await readOptionalFile(this.path);
    const result = new Map<string, bigint>();
    if (text === null) return result;
    for (const entry of parseHighWatermarkCheckpoint(text)) {
      result.set(topicPartitionKey(entry.topicPartition), entry.offset);
    }
    return result;
  }

  /** Replaces the file atomically; writes are serialised. */
  write(entries: readonly CheckpointEntry[]): Promise<void> {
    const text = formatHighWatermarkCheckpoint(entries);
    return this.writes.run(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFileAtomically(this.path, text);
    });
  }
}

export function formatHighWatermarkCheckpoint(entries: readonly CheckpointEntry[]): string {
  const lines = ['0', String(entries.length)];
  for (const { topicPartition, offset } of entries) {
    lines.push(`${topicPartition.topic} ${topicPartition.partition} ${offset}`);
  }
  return lines.join('\n') + '\n';
}

/** Parses the file; malformed content yields no entries (the high watermarks then start low). */
export function parseHighWatermarkCheckpoint(text: string): CheckpointEntry[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') return [];
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length !== count + 2) return [];
  const entries: CheckpointEntry[] = [];
  for (const line of lines.slice(2)) {
    const match = /^(\S+) (\d+) (\d+)$/.exec(line);
    if (!match) return [];
    entries.push({
      topicPartition: { topic: match[1]!, partition: Number(match[2]) },
      offset: BigInt(match[3]!),
    });
  }
  return entries;
}
