import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { ConsumedRecord, PartitionOffset } from '../../consumer/consumer.js';

/**
 * Output of `sluice consume` that knows which records its reader actually took.
 *
 * A record's write completing only means it reached the pipe's kernel buffer (up to 1 MiB), not the
 * reader: `consume | head -3` has written more than 3 records by the time head exits. Records are
 * written one at a time; when the reader closes the pipe (EPIPE), the bytes it left unread are still in
 * the pipe (we are its last writer), so they are read back through /proc/self/fd/1 (Linux) and the
 * records they hold count as not delivered. Delivered = written minus what was left in the pipe; a reader
 * that took a record and discarded it (head reading 5 lines in one read() and printing 3) did take it.
 */
export class DeliveredOutput {
  private readonly stream: NodeJS.WriteStream;
  private readonly isPipe: boolean;
  /** Records written, with their end position in the output, kept while they could still be unread. */
  private readonly recent: Array<{ record: PartitionOffset; end: number }> = [];
  private writtenBytes = 0;
  /** Records and bytes the reader took (final once `closed`). */
  records = 0;
  bytes = 0;
  closed = false;

  constructor(
    stream: NodeJS.WriteStream = process.stdout,
    private readonly fd = 1,
  ) {
    this.stream = stream;
    this.isPipe = isFifo(fd);
  }

  /** Writes one record's line; false when the reader has gone (nothing more can be delivered). */
  async write(line: string, record: ConsumedRecord): Promise<boolean> {
    if (this.closed) return false;
    const data = Buffer.from(line, 'utf8');
    const failed = await new Promise<Error | null | undefined>((resolve) => this.stream.write(data, resolve));
    if (failed) {
      this.closed = true;
      return false;
    }
    this.writtenBytes += data.length;
    this.records++;
    this.bytes += data.length;
    if (this.isPipe) {
      this.recent.push({
        record: { topic: record.topic, partition: record.partition, offset: record.offset },
        end: this.writtenBytes,
      });
      // A pipe holds at most PIPE_MAX bytes: a record that far back has been read.
      while (this.recent.length > 0 && this.recent[0]!.end <= this.writtenBytes - PIPE_MAX_BYTES)
        this.recent.shift();
    }
    return true;
  }

  /**
   * After the reader closed the output: takes back the records it left in the pipe and returns, per
   * partition, the offset of the first one (where the group must resume).
   */
  takeBackUnread(): PartitionOffset[] {
    this.closed = true;
    const unread = this.isPipe ? unreadPipeBytes(this.fd) : 0;
    const deliveredEnd = this.writtenBytes - unread;
    const resume = new Map<string, PartitionOffset>();
    for (const { record, end } of this.recent) {
      if (end <= deliveredEnd) continue;
      this.records--;
      const key = `${record.topic}-${record.partition}`;
      if (!resume.has(key)) resume.set(key, record);
    }
    this.bytes = deliveredEnd;
    this.recent.length = 0;
    return [...resume.values()];
  }
}

/** Linux's default maximum pipe size (/proc/sys/fs/pipe-max-size). */
const PIPE_MAX_BYTES = 1024 * 1024;

function isFifo(fd: number): boolean {
  try {
    return fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}

/**
 * Bytes left in a pipe whose reader has closed: opening /proc/self/fd/N for reading reaches the same
 * pipe, whose buffer lives on while we hold the write end. 0 where that is not possible.
 */
function unreadPipeBytes(fd: number): number {
  let reader: number;
  try {
    reader = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return 0;
  }
  const buffer = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    for (;;) {
      const n = readSync(reader, buffer);
      if (n <= 0) break;
      total += n;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') total = 0;
  } finally {
    closeSync(reader);
  }
  return total;
}
