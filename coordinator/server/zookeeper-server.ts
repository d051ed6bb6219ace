/**
 * The server's one serial path: every request is decoded, checked and applied to the data tree
 * synchronously in arrival order, its transaction appended to the log, and its reply queued behind the
 * zxid it depends on. Node runs this on one thread, so no request ever sees half of another.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { componentLogger } from '../../log/logger.js';
import { digestId } from './acl.js';
import { ClientConnection, type ConnectionHost } from './client-connection.js';
import { DataTree, type TreeEvent } from './data-tree.js';
import {
  fourLetterWordResponse,
  type FourLetterWordWhitelist,
  type ServerFacts,
} from './four-letter-words.js';
import { JuteDecodeError, JuteWriter, type JuteReader } from './jute.js';
import { ErrorCode, EventType, KeeperError, OpCode } from './protocol-constants.js';
import {
  readAuthPacket,
  readConnectRequest,
  readCreateRequest,
  readMultiRequest,
  readPath,
  readPathVersionRequest,
  readSetAclRequest,
  readSetDataRequest,
  readSetWatches,
  writeConnectResponse,
  writeMultiHeader,
  writeReplyHeader,
  type MultiOp,
} from './records.js';
import { SessionTracker, type LiveSession } from './session-tracker.js';
import { FileTxnStore, MemoryTxnStore, type TxnStore } from './txn-log.js';
import type { Txn } from './txn.js';
import { WatchManager } from './watch-manager.js';
import { runReadOperation } from './read-operations.js';
import {
  applyCheck,
  applyCreate,
  applyDelete,
  applySetAcl,
  applySetData,
  type AppliedWrite,
  type WriteContext,
} from './write-operations.js';

const log = componentLogger('zk-server');

export const serverVersion = '3.8.0-sluice, built on 2026-01-01 00:00 UTC';

export interface ZooKeeperServerConfig {
  host: string;
  port: number;
  dataDir: string | undefined;
  /** The clients of the sessions restored from dataDir are known to be gone: end those sessions at start. */
  restoredSessionsEnded?: boolean;
  tickTime: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  maxFrameSize: number;
  snapshotAfterBytes?: number;
  fourLetterWords: FourLetterWordWhitelist;
}

export class ZooKeeperServer implements ConnectionHost {
  readonly maxFrameSize: number;
  private tree: DataTree;
  private store: TxnStore = new MemoryTxnStore();
  private readonly sessions = new SessionTracker();
  private readonly watches = new WatchManager();
  private readonly connections = new Set<ClientConnection>();
  private readonly blocked = new Set<ClientConnection>();
  private server: Server | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private closedPackets = { received: 0, sent: 0 };
  private boundPort = 0;

  constructor(private readonly config: ZooKeeperServerConfig) {
    this.maxFrameSize = config.maxFrameSize;
    this.tree = config.dataDir === undefined ? new DataTree() : FileTxnStore.recover(config.dataDir);
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.config.dataDir !== undefined) {
      this.store = FileTxnStore.open(this.config.dataDir, this.tree, () => this.onDurable(), {
        snapshotAfterBytes: this.config.snapshotAfterBytes,
      });
    }
    // Sessions that existed before a restart get a full timeout to reconnect, then expire (at once
    // when their clients are known to be gone: last seen at time 0).
    const lastSeen = this.config.restoredSessionsEnded ? 0 : undefined;
    for (const persisted of this.tree.sessions.values()) {
      this.sessions.add(persisted.sessionId, persisted.passwd, persisted.timeoutMs, lastSeen);
    }
    if (this.config.restoredSessionsEnded) this.expireSessions();
    // At most 100 ms late: an expiry is what starts a broker failover (issue 5: leader back within the
    // session timeout + 1 s), and at the default tickTime 2000 a tick/4 check could be 500 ms late.
    const interval = Math.max(20, Math.min(100, Math.floor(this.config.tickTime / 4)));
    this.expiryTimer = setInterval(() => this.expireSessions(), interval);
    this.expiryTimer.unref();
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.config.port;
    log.info({ host: this.config.host, port: this.boundPort, dataDir: this.config.dataDir }, 'listening');
  }

  async close(): Promise<void> {
    if (this.expiryTimer !== null) clearInterval(this.expiryTimer);
    const server = this.server;
    this.server = null;
    const closed = server === null ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    for (const connection of [...this.connections]) connection.destroy();
    await closed;
    await this.store.close();
  }

  private accept(socket: Socket): void {
    const connection = new ClientConnection(socket, this);
    this.connections.add(connection);
  }

  durableZxid(): number {
    return this.store.durableZxid;
  }

  private onDurable(): void {
    for (const connection of this.blocked) {
      connection.flush();
      if (!connection.hasBlockedOutput) this.blocked.delete(connection);
    }
  }

  outputBlocked(connection: ClientConnection): void {
    this.blocked.add(connection);
  }

  private send(connection: ClientConnection, bytes: Buffer, zxid: number): void {
    connection.send(bytes, zxid);
  }

  private replyHeader(
    connection: ClientConnection,
    xid: number,
    err: number,
    zxid = this.tree.lastZxid,
  ): void {
    connection.replyHeader(xid, zxid, err);
  }

  private reply(
    connection: ClientConnection,
    xid: number,
    body: (writer: JuteWriter) => void,
    zxid = this.tree.lastZxid,
  ): void {
    const writer = JuteWriter.framed(128);
    writeReplyHeader(writer, { xid, zxid, err: 0 });
    body(writer);
    this.send(connection, writer.frame(), zxid);
  }

  connectionClosed(connection: ClientConnection): void {
    this.connections.delete(connection);
    this.blocked.delete(connection);
    this.watches.removeWatcher(connection);
    this.closedPackets.received += connection.packetsReceived;
    this.closedPackets.sent += connection.packetsSent;
    if (connection.session?.connection === connection) connection.session.connection = null;
  }

  // ---- transactions ----

  /** Applies a transaction, logs it and fires its watches; returns its zxid. */
  private commit(txn: Txn): number {
    const record = { zxid: this.tree.lastZxid + 1, time: Date.now(), txn };
    const events: TreeEvent[] = [];
    this.tree.apply(record, events);
    this.store.append(record);
    this.fire(events, record.zxid);
    return record.zxid;
  }

  private fire(events: TreeEvent[], zxid: number): void {
    this.watches.trigger(events, zxid);
  }

  private closeSession(session: LiveSession): number {
    session.closing = true;
    this.sessions.remove(session.sessionId);
    return this.commit({ type: 'closeSession', sessionId: session.sessionId });
  }

  private expireSessions(): void {
    for (const session of this.sessions.expired()) {
      log.info(
        { sessionId: session.sessionId.toString(16), timeoutMs: session.timeoutMs },
        'session expired',
      );
      const connection = session.connection;
      this.closeSession(session);
      connection?.close();
    }
    for (const connection of this.blocked) if (connection.isClosed) this.blocked.delete(connection);
  }

  // ---- connect ----

  handleConnect(connection: ClientConnection, reader: JuteReader): void {
    const request = readConnectRequest(reader);
    if (request.lastZxidSeen > this.tree.lastZxid) {
      // The client has seen a newer state than ours (ZooKeeper refuses such a client, so it tries another server).
      log.warn(
        { clientZxid: request.lastZxidSeen, ourZxid: this.tree.lastZxid },
        'refusing client from the future',
      );
      connection.destroy();
      return;
    }
    const timeoutMs = Math.min(
      this.config.maxSessionTimeout,
      Math.max(this.config.minSessionTimeout, request.timeOut),
    );
    const respond = (sessionId: bigint, passwd: Buffer, timeOut: number, zxid: number) => {
      const writer = JuteWriter.framed(64);
      writeConnectResponse(writer, {
        protocolVersion: 0,
        timeOut,
        sessionId,
        passwd,
        readOnly: request.readOnly === undefined ? undefined : false,
      });
      this.send(connection, writer.frame(), zxid);
    };
    if (request.sessionId === 0n) {
      const sessionId = this.sessions.newSessionId();
      const passwd = SessionTracker.newPassword();
      const zxid = this.commit({ type: 'createSession', sessionId, timeoutMs, passwd });
      const session = this.sessions.add(sessionId, passwd, timeoutMs);
      session.connection = connection;
      connection.session = session;
      respond(sessionId, passwd, timeoutMs, zxid);
      return;
    }
    const session = this.sessions.get(request.sessionId);
    if (session === undefined || session.closing || !session.passwd.equals(request.passwd)) {
      // What ZooKeeper answers for an expired session or a wrong password: timeout 0, then close.
      respond(0n, Buffer.alloc(16), 0, this.tree.lastZxid);
      connection.closeAfterFlush();
      return;
    }
    const previous = session.connection;
    session.connection = connection;
    connection.session = session;
    session.timeoutMs = timeoutMs;
    this.sessions.touch(session);
    if (previous !== null && previous !== connection) previous.close();
    respond(session.sessionId, session.passwd, timeoutMs, this.tree.lastZxid);
  }

  // ---- requests ----

  handleRequest(connection: ClientConnection, xid: number, type: number, reader: JuteReader): void {
    const session = connection.session as LiveSession;
    if (session.closing) {
      connection.destroy();
      return;
    }
    this.sessions.touch(session);
    try {
      this.dispatch(connection, session, xid, type, reader);
    } catch (error) {
      if (error instanceof KeeperError) {
        this.replyHeader(connection, xid, error.code);
        return;
      }
      // Anything else but a decode error is our bug: the connection's catch closes the connection.
      if (!(error instanceof JuteDecodeError)) throw error;
      // A body that does not decode inside an intact frame: ZooKeeper answers MARSHALLINGERROR and
      // keeps the connection (the framing is still in step).
      log.warn({ err: error, type, remote: connection.remoteAddress }, 'cannot decode request body');
      this.replyHeader(connection, xid, ErrorCode.marshallingError);
    }
  }

  private writeContext(
    connection: ClientConnection,
    session: LiveSession,
    events: TreeEvent[],
  ): WriteContext {
    return {
      tree: this.tree,
      sessionId: session.sessionId,
      authIds: connection.authIds,
      clientAddress: connection.remoteAddress,
      zxid: this.tree.lastZxid + 1,
      time: Date.now(),
      events,
    };
  }

  /** One write operation outside multi: apply, log, fire watches, reply. */
  private singleWrite(
    connection: ClientConnection,
    session: LiveSession,
    xid: number,
    apply: (ctx: WriteContext) => AppliedWrite,
  ): void {
    const events: TreeEvent[] = [];
    const ctx = this.writeContext(connection, session, events);
    let applied: AppliedWrite;
    try {
      applied = apply(ctx);
    } catch (error) {
      if (!(error instanceof KeeperError)) throw error;
      // ZooKeeper logs a failed write as an error transaction: it takes a zxid, the reply carries it.
      const zxid = this.commit({ type: 'noop' });
      this.replyHeader(connection, xid, error.code, zxid);
      return;
    }
    const record = { zxid: ctx.zxid, time: ctx.time, txn: applied.txn ?? { type: 'noop' as const } };
    this.tree.lastZxid = ctx.zxid;
    this.store.append(record);
    this.fire(events, ctx.zxid);
    this.reply(connection, xid, applied.writeResponse, ctx.zxid);
  }

  private dispatch(
    connection: ClientConnection,
    session: LiveSession,
    xid: number,
    type: number,
    reader: JuteReader,
  ): void {
    const body = runReadOperation(type, reader, {
      tree: this.tree,
      watches: this.watches,
      watcher: connection,
      sessionId: session.sessionId,
      authIds: connection.authIds,
      clientAddress: connection.remoteAddress,
    });
    if (body !== null) {
      this.reply(connection, xid, body);
      return;
    }
    switch (type) {
      case OpCode.ping:
        this.replyHeader(connection, xid, 0);
        return;
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const request = readCreateRequest(reader, type === OpCode.createTTL);
        this.singleWrite(connection, session, xid, (ctx) => applyCreate(ctx, type, request));
        return;
      }
      case OpCode.delete: {
        const request = readPathVersionRequest(reader);
        this.singleWrite(connection, session, xid, (ctx) => applyDelete(ctx, request));
        return;
      }
      case OpCode.setData: {
        const request = readSetDataRequest(reader);
        this.singleWrite(connection, session, xid, (ctx) => applySetData(ctx, request));
        return;
      }
      case OpCode.setACL: {
        const request = readSetAclRequest(reader);
        this.singleWrite(connection, session, xid, (ctx) => applySetAcl(ctx, request));
        return;
      }
      case OpCode.check: {
        const request = readPathVersionRequest(reader);
        this.singleWrite(connection, session, xid, (ctx) => applyCheck(ctx, request));
        return;
      }
      case OpCode.multi:
        this.multi(connection, session, xid, readMultiRequest(reader));
        return;
      case OpCode.addWatch: {
        const path = readPath(reader);
        const mode = reader.int();
        if (mode !== 0 && mode !== 1) throw new KeeperError(ErrorCode.badArguments);
        this.watches.addPersistentWatch(path, connection, mode === 1);
        this.reply(connection, xid, (w) => w.int(0)); // ErrorResponse(0), as ZooKeeper answers
        return;
      }
      case OpCode.checkWatches:
      case OpCode.removeWatches: {
        const path = readPath(reader);
        const watcherType = reader.int();
        const found =
          type === OpCode.checkWatches
            ? this.watches.has(path, watcherType, connection)
            : this.watches.remove(path, watcherType, connection);
        if (!found) throw new KeeperError(ErrorCode.noWatcher);
        this.replyHeader(connection, xid, 0);
        return;
      }
      case OpCode.auth:
        this.auth(connection, xid, reader);
        return;
      case OpCode.setWatches:
      case OpCode.setWatches2:
        this.setWatches(connection, xid, reader, type === OpCode.setWatches2);
        return;
      case OpCode.closeSession: {
        const connectionOfSession = session.connection;
        const zxid = this.closeSession(session);
        this.replyHeader(connection, xid, 0, zxid);
        connection.closeAfterFlush();
        if (connectionOfSession !== connection) connectionOfSession?.close();
        return;
      }
      default:
        // sluice answers a clear UNIMPLEMENTED, then closes. (Apache ZooKeeper closes without a reply.)
        this.replyHeader(connection, xid, ErrorCode.unimplemented);
        connection.closeAfterFlush();
        return;
    }
  }

  private auth(connection: ClientConnection, xid: number, reader: JuteReader): void {
    const packet = readAuthPacket(reader);
    // ZooKeeper answers auth with zxid 0; a failed auth closes the connection.
    if (packet.scheme === 'digest' && packet.auth !== null && packet.auth.includes(0x3a)) {
      const id = { scheme: 'digest', id: digestId(packet.auth.toString('utf8')) };
      if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id))
        connection.authIds.push(id);
      connection.replyHeader(xid, 0, 0, this.tree.lastZxid);
    } else {
      connection.replyHeader(xid, 0, ErrorCode.authFailed, this.tree.lastZxid);
      connection.closeAfterFlush();
    }
  }

  private setWatches(connection: ClientConnection, xid: number, reader: JuteReader, version2: boolean): void {
    const request = readSetWatches(reader, version2);
    const tree = this.tree;
    const zxid = tree.lastZxid;
    const relative = request.relativeZxid;
    // What the client missed while disconnected fires now; the rest is armed again (DataTree.setWatches).
    for (const path of request.dataWatches) {
      const node = tree.get(path);
      if (node === undefined) connection.notify(EventType.nodeDeleted, path, zxid);
      else if (node.mzxid > relative) connection.notify(EventType.nodeDataChanged, path, zxid);
      else this.watches.addDataWatch(path, connection);
    }
    for (const path of request.existWatches) {
      if (tree.get(path) !== undefined) connection.notify(EventType.nodeCreated, path, zxid);
      else this.watches.addDataWatch(path, connection);
    }
    for (const path of request.childWatches) {
      const node = tree.get(path);
      if (node === undefined) connection.notify(EventType.nodeDeleted, path, zxid);
      else if (node.pzxid > relative) connection.notify(EventType.nodeChildrenChanged, path, zxid);
      else this.watches.addChildWatch(path, connection);
    }
    // Persistent watches are simply armed again (ZooKeeper replays nothing for them).
    for (const path of request.persistentWatches) this.watches.addPersistentWatch(path, connection, false);
    for (const path of request.persistentRecursiveWatches)
      this.watches.addPersistentWatch(path, connection, true);
    this.replyHeader(connection, xid, 0);
  }

  private multi(connection: ClientConnection, session: LiveSession, xid: number, ops: MultiOp[]): void {
    const events: TreeEvent[] = [];
    const ctx = this.writeContext(connection, session, events);
    const applied: AppliedWrite[] = [];
    let failure: { index: number; code: number } | null = null;
    for (const [index, op] of ops.entries()) {
      try {
        applied.push(this.applyMultiOp(ctx, op));
      } catch (error) {
        if (!(error instanceof KeeperError)) throw error;
        failure = { index, code: error.code };
        break;
      }
    }
    if (failure !== null) {
      for (const write of applied.reverse()) write.undo();
      const failed = failure;
      const zxid = this.commit({ type: 'noop' }); // a failed multi takes a zxid too, like ZooKeeper's
      // ReplyHeader.err stays 0; each result is an error: 0 before, the code at, -2 after the failed op.
      this.reply(
        connection,
        xid,
        (w) => {
          ops.forEach((_, index) => {
            const code =
              index < failed.index
                ? 0
                : index === failed.index
                  ? failed.code
                  : ErrorCode.runtimeInconsistency;
            writeMultiHeader(w, { type: OpCode.error, done: false, err: code });
            w.int(code);
          });
          writeMultiHeader(w, { type: -1, done: true, err: -1 });
        },
        zxid,
      );
      return;
    }
    const txns = applied.map((a) => a.txn).filter((t): t is Txn => t !== null);
    this.tree.lastZxid = ctx.zxid;
    this.store.append({ zxid: ctx.zxid, time: ctx.time, txn: { type: 'multi', ops: txns } });
    this.fire(events, ctx.zxid);
    this.reply(
      connection,
      xid,
      (w) => {
        ops.forEach((op, index) => {
          writeMultiHeader(w, { type: op.type, done: false, err: 0 });
          (applied[index] as AppliedWrite).writeResponse(w);
        });
        writeMultiHeader(w, { type: -1, done: true, err: -1 });
      },
      ctx.zxid,
    );
  }

  private applyMultiOp(ctx: WriteContext, op: MultiOp): AppliedWrite {
    switch (op.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return applyCreate(ctx, op.type, op.request);
      case OpCode.delete:
        return applyDelete(ctx, op.request);
      case OpCode.check:
        return applyCheck(ctx, op.request);
      case OpCode.setData:
        return applySetData(ctx, op.request);
    }
  }

  // ---- four-letter words ----

  handleFourLetterWord(connection: ClientConnection, word: string): void {
    connection.socket.end(fourLetterWordResponse(word, this.facts(), this.config.fourLetterWords));
  }

  facts(): ServerFacts {
    let received = this.closedPackets.received;
    let sent = this.closedPackets.sent;
    for (const c of this.connections) {
      received += c.packetsReceived;
      sent += c.packetsSent;
    }
    return {
      version: serverVersion,
      host: this.config.host,
      port: this.boundPort,
      dataDir: this.config.dataDir,
      tickTime: this.config.tickTime,
      minSessionTimeout: this.config.minSessionTimeout,
      maxSessionTimeout: this.config.maxSessionTimeout,
      maxFrameSize: this.config.maxFrameSize,
      packetsReceived: received,
      packetsSent: sent,
      connections: this.connections.size,
      outstandingRequests: 0,
      lastZxid: this.tree.lastZxid,
      nodeCount: this.tree.nodeCount,
      watchCount: this.watches.watchCount,
      ephemeralsCount: this.tree.ephemeralCount,
      approximateDataSize: this.tree.approximateDataSize(),
      sessionCount: this.sessions.size,
    };
  }
}
