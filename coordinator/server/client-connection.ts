/**
 * One client socket: length-prefixed framing, the connect handshake, four-letter words, and the output
 * gate. Every outgoing frame carries the zxid it depends on and leaves only once the transaction log has
 * made that zxid durable; frames leave in the order they were produced, so replies keep request order
 * and notifications stay ahead of the reply of the write that caused them.
 */
import type { Socket } from 'node:net';
import { componentLogger } from '../../log/logger.js';
import { JuteDecodeError, JuteReader, JuteWriter } from './jute.js';
import { EventType, KeeperState, Xid, type EventTypeValue } from './protocol-constants.js';
import { readRequestHeader, writeReplyHeader, type Id } from './records.js';
import type { LiveSession } from './session-tracker.js';
import type { Watcher } from './watch-manager.js';
import { isFourLetterWord } from './four-letter-words.js';

const log = componentLogger('zk-connection');

/** What a connection needs from the server it belongs to. */
export interface ConnectionHost {
  readonly maxFrameSize: number;
  durableZxid(): number;
  /** Called when a frame has to wait for the log, so the host flushes this connection later. */
  outputBlocked(connection: ClientConnection): void;
  handleConnect(connection: ClientConnection, reader: JuteReader): void;
  handleRequest(connection: ClientConnection, xid: number, type: number, reader: JuteReader): void;
  handleFourLetterWord(connection: ClientConnection, word: string): void;
  connectionClosed(connection: ClientConnection): void;
}

interface OutgoingFrame {
  bytes: Buffer;
  zxid: number;
}

export class ClientConnection implements Watcher {
  session: LiveSession | null = null;
  readonly authIds: Id[] = [];
  readonly remoteAddress: string;
  packetsReceived = 0;
  packetsSent = 0;
  private inbound: Buffer | null = null;
  private readonly outbound: OutgoingFrame[] = [];
  private handshakeDone = false;
  private closeWhenFlushed = false;
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => log.debug({ err: error, remote: this.remoteAddress }, 'socket error'));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => socket.resume());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.closeWhenFlushed) return;
    const buffer = this.inbound === null ? chunk : Buffer.concat([this.inbound, chunk]);
    let offset = 0;
    // Replies that can leave at once (reads) go out in one write per chunk of requests, not one each.
    this.socket.cork();
    try {
      while (buffer.length - offset >= 4 && !this.closeWhenFlushed && !this.closed) {
        if (!this.handshakeDone && offset === 0) {
          const word = buffer.toString('latin1', 0, 4);
          if (isFourLetterWord(word)) {
            this.handshakeDone = true;
            this.host.handleFourLetterWord(this, word);
            return;
          }
        }
        const length = buffer.readInt32BE(offset);
        if (length < 0 || length > this.host.maxFrameSize) {
          log.warn({ remote: this.remoteAddress, length }, 'frame length out of bounds; closing connection');
          this.destroy();
          return;
        }
        if (buffer.length - offset - 4 < length) break;
        const start = offset + 4;
        offset = start + length;
        this.onFrame(buffer, start, offset);
      }
    } catch (error) {
      log.warn({ err: error, remote: this.remoteAddress }, 'bad frame; closing connection');
      this.destroy();
      return;
    } finally {
      this.socket.uncork();
    }
    this.inbound = offset >= buffer.length ? null : buffer.subarray(offset);
    if (this.inbound !== null && offset > 0) this.inbound = Buffer.from(this.inbound);
    if (this.socket.writableNeedDrain) this.socket.pause();
  }

  private onFrame(buffer: Buffer, start: number, end: number): void {
    this.packetsReceived++;
    const reader = new JuteReader(buffer, start, end);
    if (!this.handshakeDone) {
      this.handshakeDone = true;
      this.host.handleConnect(this, reader);
      return;
    }
    if (this.session === null) throw new JuteDecodeError('request before the session was established');
    const header = readRequestHeader(reader);
    this.host.handleRequest(this, header.xid, header.type, reader);
  }

  /** Queues a frame that may leave once `zxid` is durable. */
  send(bytes: Buffer, zxid: number): void {
    if (this.closed) return;
    if (this.outbound.length === 0 && zxid <= this.host.durableZxid()) {
      this.packetsSent++;
      this.socket.write(bytes);
      return;
    }
    this.outbound.push({ bytes, zxid });
    if (this.outbound.length === 1) this.host.outputBlocked(this);
  }

  get hasBlockedOutput(): boolean {
    return this.outbound.length > 0;
  }

  /** Sends every queued frame whose zxid is now durable. */
  flush(): void {
    if (this.closed) return;
    const durable = this.host.durableZxid();
    let sent = 0;
    while (sent < this.outbound.length && (this.outbound[sent] as OutgoingFrame).zxid <= durable) sent++;
    if (sent > 0) {
      this.socket.cork();
      for (let i = 0; i < sent; i++) this.socket.write((this.outbound[i] as OutgoingFrame).bytes);
      this.socket.uncork();
      this.packetsSent += sent;
      this.outbound.splice(0, sent);
    }
    if (this.closeWhenFlushed && this.outbound.length === 0) this.socket.end();
  }

  /** A ReplyHeader-only frame (errors, and replies without a body). */
  replyHeader(xid: number, zxid: number, err: number, gateZxid = zxid): void {
    const writer = JuteWriter.framed(20);
    writeReplyHeader(writer, { xid, zxid, err });
    this.send(writer.frame(), gateZxid);
  }

  notify(type: EventTypeValue, path: string, zxid: number): void {
    if (type < EventType.nodeCreated || type > EventType.nodeChildrenChanged) return;
    const writer = JuteWriter.framed(32 + path.length);
    writeReplyHeader(writer, { xid: Xid.notification, zxid, err: 0 });
    writer.int(type).int(KeeperState.syncConnected).string(path);
    this.send(writer.frame(), zxid);
  }

  /** Closes once everything queued so far has been sent (after closeSession, an auth failure, …). */
  closeAfterFlush(): void {
    this.closeWhenFlushed = true;
    this.flush();
  }

  /** Closes now, dropping anything queued. */
  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.onClose();
  }

  close(): void {
    this.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbound.length = 0;
    this.host.connectionClosed(this);
  }
}
