/**
 * Durability: an append-only transaction log with group commit, plus periodic snapshots.
 *
 * Log file `log.<first zxid, hex>`: records of [u32 length][u32 crc32c][TxnRecord bytes], written in
 * zxid order and group-committed (see FileTxnStore). A torn or corrupt tail (kill -9 mid-write) fails
 * its checksum and is cut off at recovery.
 *
 * Snapshot file `snapshot.<zxid, hex>`: the serialized tree at exactly that zxid. It is taken
 * synchronously between two appends, written to a temp file, fsynced and renamed; then the logs it
 * covers are deleted, so recovery = newest snapshot + the records after it.
 */
import {
  closeSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { componentLogger } from '../../log/logger.js';
import { DataTree } from './data-tree.js';
import { JuteWriter } from './jute.js';
import { decodeTxnRecord, writeTxnRecord, type TxnRecord } from './txn.js';

const log = componentLogger('zk-txn-log');

const hex = (zxid: number) => zxid.toString(16).padStart(16, '0');

function filesWithPrefix(dir: string, prefix: string): { name: string; zxid: number }[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && /^[0-9a-f]{16}$/.test(name.slice(prefix.length)))
    .map((name) => ({ name, zxid: parseInt(name.slice(prefix.length), 16) }))
    .sort((a, b) => a.zxid - b.zxid);
}

/** Reads the valid prefix of a log file: its records and the byte length they occupy. */
export function readLogFile(bytes: Buffer): { records: TxnRecord[]; validLength: number } {
  const records: TxnRecord[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const checksum = bytes.readUInt32BE(offset + 4);
    if (length === 0 || offset + 8 + length > bytes.length) break;
    const payload = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32c(payload) !== checksum) break;
    try {
      records.push(decodeTxnRecord(payload));
    } catch {
      break;
    }
    offset += 8 + length;
  }
  return { records, validLength: offset };
}

export function frameLogRecord(record: TxnRecord): Buffer {
  // Encoded behind 8 reserved bytes, then the length and checksum are filled in: one buffer, no copy.
  const writer = new JuteWriter(64 + dataLength(record.txn));
  writer.int(0).int(0);
  writeTxnRecord(writer, record);
  const framed = writer.bytes();
  const payload = framed.subarray(8);
  framed.writeUInt32BE(payload.length, 0);
  framed.writeUInt32BE(crc32c(payload), 4);
  return framed;
}

/** Room for the data a transaction carries, so the writer rarely has to grow. */
function dataLength(txn: TxnRecord['txn']): number {
  return txn.type === 'create' || txn.type === 'setData' ? (txn.data?.length ?? 0) + txn.path.length * 3 : 64;
}

/** Where transactions go before their replies may leave. */
export interface TxnStore {
  /** Highest zxid that is durable (Infinity for an in-memory server). */
  readonly durableZxid: number;
  append(record: TxnRecord): void;
  close(): Promise<void>;
}

export class MemoryTxnStore implements TxnStore {
  readonly durableZxid = Number.POSITIVE_INFINITY;
  append(): void {}
  async close(): Promise<void> {}
}

export interface FileTxnStoreOptions {
  /** Take a snapshot once the current log holds this many bytes. */
  snapshotAfterBytes?: number;
  /** How many fdatasyncs may be in flight at once (each covers everything written before it). */
  maxSyncsInFlight?: number;
}

/** One fdatasync under way: once it returns, every record written to `fd` up to `zxid` is on disk. */
interface InFlightSync {
  fd: number;
  zxid: number;
  done: boolean;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes every byte of `chunks` at `position` (a regular file rarely writes short, but may). */
function writeAllAt(fd: number, chunks: Buffer[], bytes: number, position: number): void {
  const written = writevSync(fd, chunks, position);
  if (written === bytes) return;
  const rest = Buffer.concat(chunks, bytes);
  for (let at = written; at < bytes;) at += writeSync(fd, rest, at, bytes - at, position + at);
}

const zeros = Buffer.alloc(256 * 1024);

/** True when `bytes` from `offset` on are all zero: space a log preallocated, not a torn record. */
function zeroFrom(bytes: Buffer, offset: number): boolean {
  for (let i = offset; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Group commit, pipelined. Records appended during one turn of the event loop are written together
 * (one writev into the page cache, at the end of the turn) and covered by one fdatasync on the libuv
 * pool. A new batch does not wait for the previous fdatasync: up to `maxSyncsInFlight` run at once,
 * because storage completes overlapping flushes nearly as fast as one, and a request arriving just
 * after a flush started would otherwise wait for that flush and then a whole second one.
 *
 * An fdatasync covers every byte written to its file before it was called, so a record is durable
 * once any sync started after its write has returned, provided older files' syncs have returned too.
 *
 * Log files are preallocated with zeros, a few MiB ahead of the last record, as ZooKeeper's are: an
 * fdatasync of an overwrite inside the file then flushes just the data, while one that grows the file
 * must also commit the file system's journal (the new size), which on ext4 costs about a second flush.
 * Recovery stops at the first zero length, so the zeros read as the end of the log.
 */
export class FileTxnStore implements TxnStore {
  durableZxid: number;
  private fd: number;
  /** Where the next record goes in the current log, and how far the file is preallocated. */
  private position = 0;
  private allocated = 0;
  private readonly preallocateBytes: number;
  private logBytes = 0;
  /** Framed records appended but not yet written. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingZxid = 0;
  private writeScheduled = false;
  /** Syncs in the order they were started, until they and every sync before them have returned. */
  private readonly syncs: InFlightSync[] = [];
  private syncsRunning = 0;
  /** Log files replaced by a newer one, closed once no sync uses them. */
  private readonly retiredFds = new Set<number>();
  private idle: (() => void) | null = null;
  private snapshotting: Promise<void> | null = null;
  private closed = false;
  private readonly snapshotAfterBytes: number;
  private readonly maxSyncsInFlight: number;

  private constructor(
    private readonly dir: string,
    private readonly tree: DataTree,
    private readonly onDurable: (zxid: number) => void,
    options: FileTxnStoreOptions,
  ) {
    this.durableZxid = tree.lastZxid;
    this.snapshotAfterBytes = options.snapshotAfterBytes ?? 64 * 1024 * 1024;
    this.maxSyncsInFlight = Math.max(1, options.maxSyncsInFlight ?? 4);
    // A log holds about snapshotAfterBytes; preallocating far past that would only write zeros.
    this.preallocateBytes = Math.min(4 * 1024 * 1024, Math.max(zeros.length, this.snapshotAfterBytes));
    this.fd = this.openLog(tree.lastZxid + 1);
  }

  /** Recovers the tree from `dir` (newest valid snapshot + the log records after it). */
  static recover(dir: string): DataTree {
    mkdirSync(dir, { recursive: true });
    let tree: DataTree | null = null;
    for (const snapshot of filesWithPrefix(dir, 'snapshot.').reverse()) {
      try {
        tree = DataTree.deserialize(readFileSync(join(dir, snapshot.name)));
        break;
      } catch (error) {
        log.warn({ file: snapshot.name, err: error }, 'ignoring unreadable snapshot');
      }
    }
    tree ??= new DataTree();
    const logs = filesWithPrefix(dir, 'log.');
    for (const [index, file] of logs.entries()) {
      const next = logs[index + 1];
      if (next !== undefined && next.zxid <= tree.lastZxid + 1) continue; // wholly covered already
      const path = join(dir, file.name);
      const bytes = readFileSync(path);
      const { records, validLength } = readLogFile(bytes);
      for (const record of records) {
        if (record.zxid === tree.lastZxid + 1) tree.apply(record, []);
      }
      if (validLength < bytes.length) {
        if (!zeroFrom(bytes, validLength))
          log.warn(
            { file: file.name, validLength, length: bytes.length },
            'cutting torn tail off transaction log',
          );
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, validLength);
        fsyncSync(fd);
        closeSync(fd);
      }
    }
    return tree;
  }

  static open(
    dir: string,
    tree: DataTree,
    onDurable: (zxid: number) => void,
    options: FileTxnStoreOptions = {},
  ): FileTxnStore {
    return new FileTxnStore(dir, tree, onDurable, options);
  }

  private openLog(firstZxid: number): number {
    // A log of that name can exist only without a valid record (or the tree would be past firstZxid).
    const fd = openSync(join(this.dir, `log.${hex(firstZxid)}`), 'w');
    syncDirectory(this.dir);
    this.logBytes = 0;
    this.position = 0;
    this.allocated = 0;
    return fd;
  }

  /** Extends the current log with zeros so that `end` lies inside it. */
  private preallocate(end: number): void {
    const target = Math.ceil(end / this.preallocateBytes) * this.preallocateBytes;
    while (this.allocated < target) {
      const length = Math.min(zeros.length, target - this.allocated);
      this.allocated += writeSync(this.fd, zeros, 0, length, this.allocated);
    }
  }

  append(record: TxnRecord): void {
    if (this.closed) throw new Error('transaction log closed');
    const framed = frameLogRecord(record);
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    this.pendingZxid = record.zxid;
    this.logBytes += framed.length;
    this.scheduleWrite();
    if (this.logBytes >= this.snapshotAfterBytes && this.snapshotting === null) this.startSnapshot();
  }

  private scheduleWrite(): void {
    if (this.writeScheduled || this.pending.length === 0 || this.syncsRunning >= this.maxSyncsInFlight)
      return;
    this.writeScheduled = true;
    // After the current turn's I/O callbacks: every request read in this turn joins the batch.
    setImmediate(() => {
      this.writeScheduled = false;
      if (this.syncsRunning < this.maxSyncsInFlight) this.writeAndSync();
    });
  }

  /** Writes the pending records to the current log and starts the fdatasync that makes them durable. */
  private writeAndSync(): void {
    if (this.pending.length === 0) return;
    const fd = this.fd;
    try {
      if (this.position + this.pendingBytes > this.allocated)
        this.preallocate(this.position + this.pendingBytes);
      writeAllAt(fd, this.pending, this.pendingBytes, this.position);
    } catch (error) {
      this.fail(error);
    }
    this.position += this.pendingBytes;
    const sync: InFlightSync = { fd, zxid: this.pendingZxid, done: false };
    this.pending = [];
    this.pendingBytes = 0;
    this.syncs.push(sync);
    this.syncsRunning++;
    fdatasync(fd, (error) => {
      if (error) this.fail(error);
      sync.done = true;
      this.syncsRunning--;
      this.synced();
    });
  }

  private fail(error: unknown): never {
    // A log we cannot write is a server we cannot run: replies would promise durability we lack.
    log.fatal({ err: error }, 'transaction log write failed; stopping');
    process.exit(70);
  }

  /** Advances durableZxid over the syncs that have returned, then lets the next batch go. */
  private synced(): void {
    let durable = this.durableZxid;
    // A returned sync counts unless a sync on an older file, started before it, is still running.
    const waitingFds = new Set<number>();
    for (const sync of this.syncs) {
      if (!sync.done) waitingFds.add(sync.fd);
      else if (
        (waitingFds.size === 0 || (waitingFds.size === 1 && waitingFds.has(sync.fd))) &&
        sync.zxid > durable
      )
        durable = sync.zxid;
    }
    while (this.syncs.length > 0 && (this.syncs[0] as InFlightSync).done) this.syncs.shift();
    for (const fd of this.retiredFds) {
      if (!this.syncs.some((s) => s.fd === fd)) {
        closeSync(fd);
        this.retiredFds.delete(fd);
      }
    }
    if (durable > this.durableZxid) {
      this.durableZxid = durable;
      this.onDurable(durable);
    }
    this.scheduleWrite();
    if (this.syncs.length === 0 && this.pending.length === 0 && this.idle !== null) this.idle();
  }

  /**
   * Snapshot at exactly the current zxid: serialize now (synchronously, so no transaction slips in),
   * send later appends to a new log, and once the snapshot is durable delete what it covers.
   */
  private startSnapshot(): void {
    const zxid = this.tree.lastZxid;
    const image = this.tree.serialize();
    // Everything up to `zxid` goes to the old log, with a sync of its own, before the new log starts.
    this.writeAndSync();
    const oldFd = this.fd;
    this.fd = this.openLog(zxid + 1);
    if (this.syncs.some((s) => s.fd === oldFd)) this.retiredFds.add(oldFd);
    else closeSync(oldFd);
    this.snapshotting = (async () => {
      try {
        const tmp = join(this.dir, `snapshot.${hex(zxid)}.tmp`);
        const file = await open(tmp, 'w');
        try {
          await file.writeFile(image);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(tmp, join(this.dir, `snapshot.${hex(zxid)}`));
        syncDirectory(this.dir);
        for (const old of filesWithPrefix(this.dir, 'snapshot.')) {
          if (old.zxid < zxid) await unlink(join(this.dir, old.name)).catch(() => undefined);
        }
        for (const old of filesWithPrefix(this.dir, 'log.')) {
          if (old.zxid <= zxid) await unlink(join(this.dir, old.name)).catch(() => undefined);
        }
        log.info({ zxid, bytes: image.length }, 'snapshot written');
      } catch (error) {
        log.error({ err: error }, 'snapshot failed; the log still holds everything');
      } finally {
        this.snapshotting = null;
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.syncs.length > 0 || this.pending.length > 0) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        this.scheduleWrite();
      });
    }
    while (this.snapshotting !== null) await this.snapshotting;
    closeSync(this.fd);
  }
}
