import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { ConsumedRecord, PartitionOffset } from '../../consumer/consumer.js';

/**
 * Output of `sluice consume` that knows which records its reader actually took.
 *
 * A record's write completing only means it reached the pipe's kernel buffer (up to 1 MiB), not the
 * reader: `consume | head -3` has written more than 3 records by the time head exits. So, on a pipe:
 * - Records are written one at a time; when the reader closes the pipe (EPIPE), the bytes it left
 *   unread are still in the pipe (we are its last writer): they are read back through /proc/self/fd/1
 *   (Linux) and the records they hold count as not delivered.
 * - A reader takes whatever is in the pipe in one read(): head, finding 300 records there, takes them
 *   all and prints 3. So what is in flight starts at one record and doubles each time the reader is
 *   seen to have emptied the pipe (TCP's slow start), up to PACED_WINDOW_LIMIT records, after which the
 *   pipe's own capacity is the only bound. `| head -3` reads 1, then 2, and exits: 3 are committed.
 * Delivered = written minus what was left in the pipe; a reader that took records and discarded them
 * (head -N for a larger N, reading a window of records at once) did take them.
 */
export class DeliveredOutput {
  private readonly stream: NodeJS.WriteStream;
  private readonly isPipe: boolean;
  /** Records written, with their end position in the output, kept while they could still be unread. */
  private recent: Array<{ record: PartitionOffset; end: number }> = [];
  /** recent[0..recentStart) have certainly been read (dropped in bulk, not one shift() at a time). */
  private recentStart = 0;
  private writtenBytes = 0;
  /** Records and bytes the reader took (final once `closed`). */
  records = 0;
  bytes = 0;
  closed = false;
  /** Records that may be written before the reader must be seen to have emptied the pipe. */
  private window = 1;
  private inWindow = 0;
  private pacing: boolean;
  private cancelled = false;

  constructor(
    stream: NodeJS.WriteStream = process.stdout,
    private readonly fd = 1,
  ) {
    this.stream = stream;
    this.isPipe = isFifo(fd);
    this.pacing = this.isPipe;
  }

  /** Ends a wait for the reader (Ctrl-C): write() then returns false. */
  cancel(): void {
    this.cancelled = true;
  }

  /** Writes one record's line; false when the reader has gone (nothing more can be delivered). */
  async write(line: string, record: ConsumedRecord): Promise<boolean> {
    if (this.closed) return false;
    if (this.pacing && this.inWindow >= this.window) {
      const reader = await this.untilReaderTookAll();
      if (reader === 'cancelled') return false;
      if (reader === 'empty') {
        this.inWindow = 0;
        this.window *= 2;
        if (this.window > PACED_WINDOW_LIMIT) this.pacing = false;
      }
    }
    this.inWindow++;
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
      while (
        this.recentStart < this.recent.length &&
        this.recent[this.recentStart]!.end <= this.writtenBytes - PIPE_MAX_BYTES
      )
        this.recentStart++;
      if (this.recentStart > 4096 && this.recentStart * 2 > this.recent.length) {
        this.recent = this.recent.slice(this.recentStart);
        this.recentStart = 0;
      }
    }
    return true;
  }

  /**
   * Waits until the pipe is empty (false when cancelled). Checked by reading it through a second read
   * end and writing back what was there, in order (we are the only writer); where that is impossible,
   * pacing stops. A reader that takes nothing for STALL_MS may be gone (head exited leaving records in
   * the pipe: only a write can tell, by failing with EPIPE) or idle (a pager): one more record goes out.
   */
  private async untilReaderTookAll(): Promise<'empty' | 'stalled' | 'cancelled'> {
    let left = Infinity;
    let progressAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.cancelled) return 'cancelled';
      const now = takeAndRestore(this.fd);
      if (now === null) {
        this.pacing = false;
        return 'empty';
      }
      if (now === 0) return 'empty';
      if (now < left) {
        left = now;
        progressAt = Date.now();
      } else if (Date.now() - progressAt >= STALL_MS) return 'stalled';
      // The reader has not run yet: give it the CPU, then back off.
      await new Promise((resolve) =>
        attempt < 3 ? setImmediate(resolve) : setTimeout(resolve, Math.min(2 ** (attempt - 3), 20)),
      );
    }
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
    for (const { record, end } of this.recent.slice(this.recentStart)) {
      if (end <= deliveredEnd) continue;
      this.records--;
      const key = `${record.topic}-${record.partition}`;
      if (!resume.has(key)) resume.set(key, record);
    }
    this.bytes = deliveredEnd;
    this.recent = [];
    this.recentStart = 0;
    return [...resume.values()];
  }
}

/** Beyond this many records in flight, the pipe's capacity alone bounds what a reader may not take. */
const PACED_WINDOW_LIMIT = 1024;

/** How long a reader may take nothing before one more record is written anyway (see untilReaderTookAll). */
const STALL_MS = 100;

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
 * How many bytes sit unread in the pipe, leaving them there: they are read through a second read end
 * and written back before it closes (the pipe cannot fill meanwhile: it was just emptied). null when
 * the pipe cannot be opened that way.
 */
function takeAndRestore(fd: number): number | null {
  let reader: number;
  try {
    reader = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(reader, buffer);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw error;
      }
      if (n <= 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    const taken = Buffer.concat(chunks);
    for (let at = 0; at < taken.length;) at += writeSync(fd, taken, at);
    return taken.length;
  } catch {
    return null;
  } finally {
    closeSync(reader);
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
