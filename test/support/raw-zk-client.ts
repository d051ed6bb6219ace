/**
 * A bare ZooKeeper protocol client for tests that need to misbehave (garbage, truncated or oversized
 * frames, unknown opcodes) or to vanish without closing its session. Frames are built with the
 * server's own jute records, so this checks wire behaviour, not a second codec.
 */
import { connect, type Socket } from 'node:net';
import { JuteReader, JuteWriter } from '../../coordinator/server/jute.js';
import {
  readConnectResponse,
  readReplyHeader,
  writeConnectRequest,
  writeCreateRequest,
  type ConnectResponse,
  type ReplyHeader,
} from '../../coordinator/server/records.js';
import { waitFor } from './wait.js';

export interface RawReply {
  header: ReplyHeader;
  body: JuteReader;
}

export class RawZkClient {
  private inbound = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.inbound = Buffer.concat([this.inbound, chunk]);
      while (this.inbound.length >= 4 && this.inbound.length >= 4 + this.inbound.readInt32BE(0)) {
        const length = this.inbound.readInt32BE(0);
        this.frames.push(this.inbound.subarray(4, 4 + length));
        this.inbound = this.inbound.subarray(4 + length);
      }
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  /** Opens a TCP connection without any handshake. */
  static async open(port: number): Promise<RawZkClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawZkClient(socket);
  }

  /** Opens a connection and establishes (or resumes) a session. */
  static async session(
    port: number,
    { timeoutMs = 4000, sessionId = 0n, passwd = Buffer.alloc(16), omitReadOnly = false } = {},
  ): Promise<{ client: RawZkClient; response: ConnectResponse }> {
    const client = await RawZkClient.open(port);
    const writer = JuteWriter.framed();
    writeConnectRequest(writer, {
      protocolVersion: 0,
      lastZxidSeen: 0,
      timeOut: timeoutMs,
      sessionId,
      passwd,
      // Clients before 3.3 sent no readOnly byte.
      readOnly: omitReadOnly ? undefined : false,
    });
    client.socket.write(writer.frame());
    const frame = await client.nextFrame();
    return { client, response: readConnectResponse(new JuteReader(frame)) };
  }

  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    await waitFor(() => this.frames.length > 0 || this.closed, {
      timeoutMs,
      what: 'a frame from the server',
    });
    const frame = this.frames.shift();
    if (frame === undefined) throw new Error('connection closed before a frame arrived');
    return frame;
  }

  async nextReply(timeoutMs = 5000): Promise<RawReply> {
    const body = new JuteReader(await this.nextFrame(timeoutMs));
    return { header: readReplyHeader(body), body };
  }

  /** Sends one request frame: RequestHeader(xid, type) followed by whatever `body` writes. */
  send(xid: number, type: number, body: (writer: JuteWriter) => void = () => undefined): void {
    const writer = JuteWriter.framed();
    writer.int(xid).int(type);
    body(writer);
    this.socket.write(writer.frame());
  }

  async create(xid: number, path: string, data: string, flags: number): Promise<RawReply> {
    this.send(xid, 1, (w) =>
      writeCreateRequest(w, {
        path,
        data: Buffer.from(data),
        acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
        flags,
        ttl: -1,
      }),
    );
    return this.nextReply();
  }

  /** Drops the connection without closeSession, like a client that was killed. */
  vanish(): void {
    this.socket.destroy();
  }
}
