import type { FileHandle } from 'node:fs/promises';
import {
  CorruptRecordBatchError,
  RECORD_BATCH_HEADER_SIZE,
  readRecordBatchHeader,
  recordBatchSizeAt,
  verifyRecordBatchCrc,
  type RecordBatchHeader,
} from '../../protocol/record-batch-header.js';

/**
 * Walking the batches stored in a segment file. Reads in chunks (never one syscall per header) and
 * reports where the valid batches end, so recovery can cut a torn or corrupt tail off there.
 */

const SCAN_CHUNK_BYTES = 64 * 1024;

export interface ScannedBatch {
  position: number;
  size: number;
  header: RecordBatchHeader;
}

export interface ScanEnd {
  /** Position after the last whole batch walked; where the visitor stopped, the start of that batch. */
  validEnd: number;
  /** Why the scan stopped before `end`, if it did for a reason other than the visitor. */
  problem: string | null;
}

/** Reads until `buf` is full or the file ends; returns the number of bytes read. */
export async function readFully(handle: FileHandle, buf: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Calls `visit` for each batch in [start, end) in order; `visit` returning false stops the walk.
 * With `verifyCrc`, each batch is read whole and its CRC checked. Stops with a `problem` at the first
 * partial, unreadable or corrupt batch.
 */
export async function scanBatches(
  handle: FileHandle,
  start: number,
  end: number,
  { verifyCrc }: { verifyCrc: boolean },
  visit: (batch: ScannedBatch, bytes: Buffer, offsetInBytes: number) => boolean | void,
): Promise<ScanEnd> {
  let buf = Buffer.alloc(0);
  let bufStart = start;
  let position = start;

  // Makes [at, at + n) available in `buf`; returns false if the file holds fewer bytes.
  const ensure = async (at: number, n: number): Promise<boolean> => {
    if (at >= bufStart && at + n <= bufStart + buf.length) return true;
    const want = Math.min(Math.max(n, SCAN_CHUNK_BYTES), end - at);
    const next = Buffer.allocUnsafe(want);
    const got = await readFully(handle, next, at);
    buf = next.subarray(0, got);
    bufStart = at;
    return got >= n;
  };

  while (position < end) {
    const remaining = end - position;
    if (remaining < RECORD_BATCH_HEADER_SIZE) {
      return { validEnd: position, problem: `partial batch header (${remaining} bytes) at ${position}` };
    }
    if (!(await ensure(position, RECORD_BATCH_HEADER_SIZE))) {
      return { validEnd: position, problem: `file ends inside the batch header at ${position}` };
    }
    let size: number;
    let header: RecordBatchHeader;
    const at = position - bufStart;
    try {
      size = recordBatchSizeAt(buf, at) ?? 0;
      header = readRecordBatchHeader(buf, at);
    } catch (error) {
      const reason = error instanceof CorruptRecordBatchError ? error.message : String(error);
      return { validEnd: position, problem: `unreadable batch header at ${position}: ${reason}` };
    }
    if (size > remaining) {
      return {
        validEnd: position,
        problem: `batch at ${position} declares ${size} bytes, ${remaining} remain`,
      };
    }
    let bytes = buf;
    let offsetInBytes = at;
    if (verifyCrc) {
      if (!(await ensure(position, size))) {
        return { validEnd: position, problem: `file ends inside the batch at ${position}` };
      }
      bytes = buf;
      offsetInBytes = position - bufStart;
      if (!verifyRecordBatchCrc(buf, offsetInBytes)) {
        return { validEnd: position, problem: `CRC mismatch in the batch at ${position}` };
      }
    }
    if (visit({ position, size, header }, bytes, offsetInBytes) === false) {
      return { validEnd: position, problem: null };
    }
    position += size;
  }
  return { validEnd: position, problem: null };
}
