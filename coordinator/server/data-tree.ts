/**
 * The znode tree with ZooKeeper's exact Stat bookkeeping, plus the session table that transactions
 * create and close. It knows nothing of sockets or watches: each change reports the watch events it
 * causes and returns an undo step (multi rolls back with those).
 *
 * cversion, as real ZooKeeper keeps it: the node counts child *creations* (that count is also the
 * sequential suffix), and Stat.cversion is reported as `2 × creations − numChildren`, i.e. creations
 * plus deletions. So deleting a child does not move the sequence counter but does change Stat.cversion.
 */
import { crc32c } from '@node-rs/crc32';
import { JuteReader, JuteWriter, JuteDecodeError } from './jute.js';
import { childPath, nameOf, parentOf } from './paths.js';
import { EventType, type EventTypeValue } from './protocol-constants.js';
import { readAcl, writeAcl, type Acl, type Stat } from './records.js';
import { openAclUnsafe, readAclUnsafe } from './acl.js';
import type { Txn, TxnRecord } from './txn.js';

export interface ZNode {
  data: Buffer | null;
  acl: Acl[];
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  /** Number of children ever created here (the sequential counter). */
  childCreations: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: number;
  children: Set<string>;
}

export interface PersistedSession {
  sessionId: bigint;
  timeoutMs: number;
  passwd: Buffer;
}

export interface TreeEvent {
  type: EventTypeValue;
  path: string;
}

export type Undo = () => void;

/** Owner value real ZooKeeper gives container nodes (EphemeralType.CONTAINER_EPHEMERAL_OWNER). */
export const containerOwner = -(2n ** 63n);

/** True when `owner` is a session (as opposed to 0, a container or a TTL marker). */
export function isSessionOwner(owner: bigint): boolean {
  return owner > 0n;
}

function emptyNode(acl: readonly Acl[], aversion = 0): ZNode {
  return {
    data: null,
    acl: [...acl],
    czxid: 0,
    mzxid: 0,
    ctime: 0,
    mtime: 0,
    version: 0,
    childCreations: 0,
    aversion,
    ephemeralOwner: 0n,
    pzxid: 0,
    children: new Set(),
  };
}

export class DataTree {
  private readonly nodes = new Map<string, ZNode>();
  private readonly ephemeralsBySession = new Map<bigint, Set<string>>();
  readonly sessions = new Map<bigint, PersistedSession>();
  lastZxid = 0;

  constructor(empty = false) {
    if (empty) return;
    // The nodes a fresh ZooKeeper has: none of them counts as a created child (cversion of / is -1).
    this.nodes.set('/', emptyNode(openAclUnsafe));
    this.attach('/zookeeper', emptyNode(openAclUnsafe));
    this.attach('/zookeeper/config', emptyNode(readAclUnsafe, -1));
    this.attach('/zookeeper/quota', emptyNode(openAclUnsafe));
  }

  private attach(path: string, node: ZNode): void {
    this.nodes.set(path, node);
    if (path !== '/') this.nodes.get(parentOf(path))?.children.add(nameOf(path));
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemeralsBySession.values()) count += paths.size;
    return count;
  }

  approximateDataSize(): number {
    let size = 0;
    for (const [path, node] of this.nodes) size += path.length + (node.data?.length ?? 0);
    return size;
  }

  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.ephemeralsBySession.get(sessionId) ?? new Set();
  }

  statOf(node: ZNode): Stat {
    const numChildren = node.children.size;
    return {
      czxid: node.czxid,
      mzxid: node.mzxid,
      ctime: node.ctime,
      mtime: node.mtime,
      version: node.version,
      cversion: node.childCreations * 2 - numChildren,
      aversion: node.aversion,
      ephemeralOwner: node.ephemeralOwner,
      dataLength: node.data?.length ?? 0,
      numChildren,
      pzxid: node.pzxid,
    };
  }

  /** Creates `path`; the caller has checked that the parent exists and the node does not. */
  create(
    path: string,
    data: Buffer | null,
    acl: Acl[],
    ephemeralOwner: bigint,
    zxid: number,
    time: number,
    events: TreeEvent[],
  ): Undo {
    const parentPath = parentOf(path);
    const parent = this.mustGet(parentPath);
    const node: ZNode = {
      data,
      acl,
      czxid: zxid,
      mzxid: zxid,
      ctime: time,
      mtime: time,
      version: 0,
      childCreations: 0,
      aversion: 0,
      ephemeralOwner,
      pzxid: zxid,
      children: new Set(),
    };
    const name = nameOf(path);
    const before = { childCreations: parent.childCreations, pzxid: parent.pzxid };
    this.nodes.set(path, node);
    parent.children.add(name);
    parent.childCreations++;
    parent.pzxid = zxid;
    if (isSessionOwner(ephemeralOwner)) this.ephemeralSet(ephemeralOwner).add(path);
    events.push(
      { type: EventType.nodeCreated, path },
      { type: EventType.nodeChildrenChanged, path: parentPath },
    );
    return () => {
      this.nodes.delete(path);
      parent.children.delete(name);
      parent.childCreations = before.childCreations;
      parent.pzxid = before.pzxid;
      if (isSessionOwner(ephemeralOwner)) this.ephemeralsBySession.get(ephemeralOwner)?.delete(path);
    };
  }

  delete(path: string, zxid: number, events: TreeEvent[]): Undo {
    const node = this.mustGet(path);
    const parentPath = parentOf(path);
    const parent = this.mustGet(parentPath);
    const name = nameOf(path);
    const pzxidBefore = parent.pzxid;
    this.nodes.delete(path);
    parent.children.delete(name);
    // Like ZooKeeper: pzxid only moves forward (a create in the same multi may have set it already).
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    if (isSessionOwner(node.ephemeralOwner)) this.ephemeralsBySession.get(node.ephemeralOwner)?.delete(path);
    events.push(
      { type: EventType.nodeDeleted, path },
      { type: EventType.nodeChildrenChanged, path: parentPath },
    );
    return () => {
      this.nodes.set(path, node);
      parent.children.add(name);
      parent.pzxid = pzxidBefore;
      if (isSessionOwner(node.ephemeralOwner)) this.ephemeralSet(node.ephemeralOwner).add(path);
    };
  }

  setData(path: string, data: Buffer | null, zxid: number, time: number, events: TreeEvent[]): Undo {
    const node = this.mustGet(path);
    const before = { data: node.data, mzxid: node.mzxid, mtime: node.mtime, version: node.version };
    node.data = data;
    node.mzxid = zxid;
    node.mtime = time;
    node.version++;
    events.push({ type: EventType.nodeDataChanged, path });
    return () => Object.assign(node, before);
  }

  setAcl(path: string, acl: Acl[]): Undo {
    const node = this.mustGet(path);
    const before = { acl: node.acl, aversion: node.aversion };
    node.acl = acl;
    node.aversion++;
    return () => Object.assign(node, before);
  }

  /** Applies a logged transaction (replay, or a single request the processor has validated). */
  apply(record: TxnRecord, events: TreeEvent[]): void {
    this.applyTxn(record.txn, record.zxid, record.time, events);
    if (record.zxid > this.lastZxid) this.lastZxid = record.zxid;
  }

  private applyTxn(txn: Txn, zxid: number, time: number, events: TreeEvent[]): void {
    switch (txn.type) {
      case 'create':
        this.create(txn.path, txn.data, txn.acl, txn.ephemeralOwner, zxid, time, events);
        break;
      case 'delete':
        this.delete(txn.path, zxid, events);
        break;
      case 'setData':
        this.setData(txn.path, txn.data, zxid, time, events);
        break;
      case 'setACL':
        this.setAcl(txn.path, txn.acl);
        break;
      case 'createSession':
        this.sessions.set(txn.sessionId, {
          sessionId: txn.sessionId,
          timeoutMs: txn.timeoutMs,
          passwd: txn.passwd,
        });
        break;
      case 'closeSession':
        for (const path of [...this.ephemeralsOf(txn.sessionId)]) {
          if (this.nodes.has(path)) this.delete(path, zxid, events);
        }
        this.ephemeralsBySession.delete(txn.sessionId);
        this.sessions.delete(txn.sessionId);
        break;
      case 'multi':
        for (const op of txn.ops) this.applyTxn(op, zxid, time, events);
        break;
      case 'noop':
        break;
    }
  }

  private mustGet(path: string): ZNode {
    const node = this.nodes.get(path);
    if (node === undefined) throw new Error(`data tree inconsistency: ${path} missing`);
    return node;
  }

  private ephemeralSet(owner: bigint): Set<string> {
    let set = this.ephemeralsBySession.get(owner);
    if (set === undefined) {
      set = new Set();
      this.ephemeralsBySession.set(owner, set);
    }
    return set;
  }

  /** Paths under `path` (itself excluded), depth-first. */
  *descendants(path: string): Generator<string> {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    for (const name of node.children) {
      const child = childPath(path, name);
      yield child;
      yield* this.descendants(child);
    }
  }

  // ---- snapshots ----

  /** The whole tree and session table as bytes (parents always precede children). */
  serialize(): Buffer {
    const writer = new JuteWriter(64 * 1024);
    writer.string('sluice-zk-snapshot-1').long(this.lastZxid);
    writer.vector([...this.sessions.values()], (w, s) => {
      w.bigLong(s.sessionId).int(s.timeoutMs).buffer_(s.passwd);
    });
    writer.int(this.nodes.size);
    for (const [path, n] of this.nodes) {
      writer
        .string(path)
        .buffer_(n.data)
        .vector(n.acl, writeAcl)
        .long(n.czxid)
        .long(n.mzxid)
        .long(n.ctime)
        .long(n.mtime)
        .int(n.version)
        .int(n.childCreations)
        .int(n.aversion)
        .bigLong(n.ephemeralOwner)
        .long(n.pzxid);
    }
    const body = writer.bytes();
    const out = Buffer.allocUnsafe(body.length + 4);
    body.copy(out, 0);
    out.writeUInt32BE(crc32c(body), body.length);
    return out;
  }

  static deserialize(bytes: Buffer): DataTree {
    if (bytes.length < 4) throw new JuteDecodeError('snapshot too short');
    const body = bytes.subarray(0, bytes.length - 4);
    if (crc32c(body) !== bytes.readUInt32BE(bytes.length - 4))
      throw new JuteDecodeError('snapshot checksum mismatch');
    const reader = new JuteReader(body);
    if (reader.string() !== 'sluice-zk-snapshot-1') throw new JuteDecodeError('not a sluice snapshot');
    const tree = new DataTree(true);
    tree.lastZxid = reader.long();
    reader.vector((r) => {
      const session = { sessionId: r.bigLong(), timeoutMs: r.int(), passwd: r.buffer_() ?? Buffer.alloc(0) };
      tree.sessions.set(session.sessionId, session);
    });
    const count = reader.int();
    for (let i = 0; i < count; i++) {
      const path = reader.string();
      const node: ZNode = {
        data: reader.buffer_(),
        acl: reader.vector(readAcl) ?? [],
        czxid: reader.long(),
        mzxid: reader.long(),
        ctime: reader.long(),
        mtime: reader.long(),
        version: reader.int(),
        childCreations: reader.int(),
        aversion: reader.int(),
        ephemeralOwner: reader.bigLong(),
        pzxid: reader.long(),
        children: new Set(),
      };
      tree.attach(path, node);
      if (isSessionOwner(node.ephemeralOwner)) tree.ephemeralSet(node.ephemeralOwner).add(path);
    }
    return tree;
  }
}
