/**
 * Transactions: the state changes the data tree applies, in the form the transaction log stores.
 * Every field is decided before the transaction is applied (sequential names, times), so replaying the
 * log rebuilds exactly the same tree.
 */
import { JuteReader, JuteWriter, JuteDecodeError } from './jute.js';
import { readAcl, writeAcl, type Acl } from './records.js';

export type Txn =
  | { type: 'create'; path: string; data: Buffer | null; acl: Acl[]; ephemeralOwner: bigint }
  | { type: 'delete'; path: string }
  | { type: 'setData'; path: string; data: Buffer | null }
  | { type: 'setACL'; path: string; acl: Acl[] }
  | { type: 'createSession'; sessionId: bigint; timeoutMs: number; passwd: Buffer }
  | { type: 'closeSession'; sessionId: bigint }
  | { type: 'multi'; ops: Txn[] }
  /** Changes nothing but takes a zxid, as failed writes and checks do in ZooKeeper (its error txns). */
  | { type: 'noop' };

export interface TxnRecord {
  zxid: number;
  /** Wall-clock ms when the server decided the transaction; becomes ctime/mtime. */
  time: number;
  txn: Txn;
}

const kinds = [
  'create',
  'delete',
  'setData',
  'setACL',
  'createSession',
  'closeSession',
  'multi',
  'noop',
] as const;

function writeTxn(writer: JuteWriter, txn: Txn): void {
  writer.int(kinds.indexOf(txn.type));
  switch (txn.type) {
    case 'create':
      writer.string(txn.path).buffer_(txn.data).vector(txn.acl, writeAcl).bigLong(txn.ephemeralOwner);
      break;
    case 'delete':
      writer.string(txn.path);
      break;
    case 'setData':
      writer.string(txn.path).buffer_(txn.data);
      break;
    case 'setACL':
      writer.string(txn.path).vector(txn.acl, writeAcl);
      break;
    case 'createSession':
      writer.bigLong(txn.sessionId).int(txn.timeoutMs).buffer_(txn.passwd);
      break;
    case 'closeSession':
      writer.bigLong(txn.sessionId);
      break;
    case 'multi':
      writer.vector(txn.ops, writeTxn);
      break;
    case 'noop':
      break;
  }
}

function readTxn(reader: JuteReader): Txn {
  const kind = kinds[reader.int()];
  switch (kind) {
    case 'create':
      return {
        type: kind,
        path: reader.string(),
        data: reader.buffer_(),
        acl: reader.vector(readAcl) ?? [],
        ephemeralOwner: reader.bigLong(),
      };
    case 'delete':
      return { type: kind, path: reader.string() };
    case 'setData':
      return { type: kind, path: reader.string(), data: reader.buffer_() };
    case 'setACL':
      return { type: kind, path: reader.string(), acl: reader.vector(readAcl) ?? [] };
    case 'createSession':
      return {
        type: kind,
        sessionId: reader.bigLong(),
        timeoutMs: reader.int(),
        passwd: reader.buffer_() ?? Buffer.alloc(0),
      };
    case 'closeSession':
      return { type: kind, sessionId: reader.bigLong() };
    case 'multi':
      return { type: kind, ops: reader.vector(readTxn) ?? [] };
    case 'noop':
      return { type: kind };
    default:
      throw new JuteDecodeError('unknown transaction kind');
  }
}

export function encodeTxnRecord(record: TxnRecord): Buffer {
  const writer = new JuteWriter(128);
  writeTxnRecord(writer, record);
  return writer.bytes();
}

/** Appends the record's encoding to `writer` (the log frames it in place, without a copy). */
export function writeTxnRecord(writer: JuteWriter, record: TxnRecord): void {
  writer.long(record.zxid).long(record.time);
  writeTxn(writer, record.txn);
}

export function decodeTxnRecord(bytes: Buffer): TxnRecord {
  const reader = new JuteReader(bytes);
  const zxid = reader.long();
  const time = reader.long();
  const txn = readTxn(reader);
  if (reader.remaining !== 0) throw new JuteDecodeError('trailing bytes after transaction');
  return { zxid, time, txn };
}
