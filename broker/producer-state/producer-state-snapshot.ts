import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProducerEntry } from './producer-state-table.js';

/**
 * The producer-state snapshot kept in the partition directory: the table as of `nextOffset` (every
 * batch below it is reflected). Recovery loads it and replays batch headers from there to the log end;
 * a snapshot beyond the log end (the log was truncated) is ignored and the log replayed from its start.
 * Written atomically (temp file + rename), so a crash leaves the old or the new snapshot, never half.
 */
export const PRODUCER_STATE_SNAPSHOT_FILE = 'producer-state.snapshot';

export interface ProducerStateSnapshot {
  nextOffset: bigint;
  entries: ProducerEntry[];
}

interface SnapshotJson {
  version: 1;
  nextOffset: string;
  producers: Array<{
    producerId: string;
    producerEpoch: number;
    batches: Array<{ firstSequence: number; lastSequence: number; firstOffset: string; lastOffset: string }>;
  }>;
}

export async function writeProducerStateSnapshot(
  dir: string,
  snapshot: ProducerStateSnapshot,
): Promise<void> {
  const json: SnapshotJson = {
    version: 1,
    nextOffset: String(snapshot.nextOffset),
    producers: snapshot.entries.map((e) => ({
      producerId: String(e.producerId),
      producerEpoch: e.producerEpoch,
      batches: e.batches.map((b) => ({
        firstSequence: b.firstSequence,
        lastSequence: b.lastSequence,
        firstOffset: String(b.firstOffset),
        lastOffset: String(b.lastOffset),
      })),
    })),
  };
  const path = join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(json));
  await rename(`${path}.tmp`, path);
}

/** The snapshot, or null when there is none or it cannot be read (then the log is replayed). */
export async function readProducerStateSnapshot(dir: string): Promise<ProducerStateSnapshot | null> {
  let text: string;
  try {
    text = await readFile(join(dir, PRODUCER_STATE_SNAPSHOT_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const json = JSON.parse(text) as SnapshotJson;
    if (json.version !== 1) return null;
    return {
      nextOffset: BigInt(json.nextOffset),
      entries: json.producers.map((p) => ({
        producerId: BigInt(p.producerId),
        producerEpoch: p.producerEpoch,
        batches: p.batches.map((b) => ({
          firstSequence: b.firstSequence,
          lastSequence: b.lastSequence,
          firstOffset: BigInt(b.firstOffset),
          lastOffset: BigInt(b.lastOffset),
        })),
      })),
    };
  } catch {
    return null;
  }
}
