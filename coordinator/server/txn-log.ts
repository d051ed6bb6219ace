/**
 * Durability: an append-only transaction log with group commit, plus periodic snapshots.
 *
 * Log file `log.<first zxid, hex>`: records of [u32 length][u32 crc32c][TxnRecord bytes]. Everything
 * appended while one write+fdatasync is in flight goes out in the next single write+fdatasync, so the
 * cost of an fsync is shared by every request that arrived during it. A torn or corrupt tail (kill -9
 * mid-write) fails its checksum and is cut off at recovery.
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
  write,
} from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { componentLogger } from '../../log/logger.js';
import { DataTree } from './data-tree.js';
import { decodeTxnRecord, encodeTxnRecord, type TxnRecord } from './txn.js';

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
  const payload = encodeTxnRecord(record);
  const framed = Buffer.allocUnsafe(payload.length + 8);
  framed.writeUInt32BE(payload.length, 0);
  framed.writeUInt32BE(crc32c(payload), 4);
  payload.copy(framed, 8);
  return framed;
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
}

interface Batch {
  fd: number;
  chunks: Buffer[];
  bytes: number;
  maxZxid: number;
}

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class FileTxnStore implements TxnStore {
  durableZxid: number;
  private fd: number;
  private logBytes = 0;
  /** Batches waiting to be written, oldest first; a log rotation starts a new batch on the new file. */
  private readonly batches: Batch[] = [];
  private flushing: Promise<void> | null = null;
  private snapshotting: Promise<void> | null = null;
  private closed = false;
  private readonly snapshotAfterBytes: number;

  private constructor(
    private readonly dir: string,
    private readonly tree: DataTree,
    private readonly onDurable: (zxid: number) => void,
    options: FileTxnStoreOptions,
  ) {
    this.durableZxid = tree.lastZxid;
    this.snapshotAfterBytes = options.snapshotAfterBytes ?? 64 * 1024 * 1024;
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
    const fd = openSync(join(this.dir, `log.${hex(firstZxid)}`), 'a');
    syncDirectory(this.dir);
    this.logBytes = 0;
    return fd;
  }

  append(record: TxnRecord): void {
    if (this.closed) throw new Error('transaction log closed');
    const framed = frameLogRecord(record);
    let batch = this.batches[this.batches.length - 1];
    if (batch === undefined || batch.fd !== this.fd) {
      batch = { fd: this.fd, chunks: [], bytes: 0, maxZxid: 0 };
      this.batches.push(batch);
    }
    batch.chunks.push(framed);
    batch.bytes += framed.length;
    batch.maxZxid = record.zxid;
    this.logBytes += framed.length;
    if (this.flushing === null) this.flushing = this.flushLoop();
    if (this.logBytes >= this.snapshotAfterBytes && this.snapshotting === null) this.startSnapshot();
  }

  private async flushLoop(): Promise<void> {
    try {
      for (let batch = this.batches.shift(); batch !== undefined; batch = this.batches.shift()) {
        const bytes =
          batch.chunks.length === 1 ? (batch.chunks[0] as Buffer) : Buffer.concat(batch.chunks, batch.bytes);
        let written = 0;
        while (written < bytes.length) {
          written += (await writeAsync(batch.fd, bytes, written, bytes.length - written, null)).bytesWritten;
        }
        await fdatasyncAsync(batch.fd);
        if (batch.fd !== this.fd && !this.batches.some((b) => b.fd === batch.fd)) closeSync(batch.fd);
        this.durableZxid = batch.maxZxid;
        this.onDurable(batch.maxZxid);
      }
    } catch (error) {
      // A log we cannot write is a server we cannot run: replies would promise durability we lack.
      log.fatal({ err: error }, 'transaction log write failed; stopping');
      process.exit(70);
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Snapshot at exactly the current zxid: serialize now (synchronously, so no transaction slips in),
   * send later appends to a new log, and once the snapshot is durable delete what it covers.
   */
  private startSnapshot(): void {
    const zxid = this.tree.lastZxid;
    const image = this.tree.serialize();
    const oldFd = this.fd;
    this.fd = this.openLog(zxid + 1);
    if (this.flushing === null && !this.batches.some((b) => b.fd === oldFd)) closeSync(oldFd);
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
    while (this.flushing !== null) await this.flushing;
    while (this.snapshotting !== null) await this.snapshotting;
    closeSync(this.fd);
  }
}
