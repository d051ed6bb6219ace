import { connect } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { RawZkClient } from '../support/raw-zk-client.js';
import { JuteWriter } from '../../coordinator/server/jute.js';
import { writeConnectRequest } from '../../coordinator/server/records.js';

/**
 * Hostile and broken input against the embedded ZooKeeper server: each bad connection gets an error or
 * is closed, while a well-behaved session (node-zookeeper-client) keeps working throughout.
 */

type Client = zookeeper.Client;

function call<T>(
  fn: (cb: (error: Error | zookeeper.Exception | null, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

async function fourLetterWord(port: number, word: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(word);
  await new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  return Buffer.concat(chunks).toString();
}

describe('embedded ZooKeeper server under bad input', () => {
  let server: EmbeddedZooKeeper;
  let healthy: Client;
  let round = 0;

  /** The healthy session still writes and reads. */
  async function healthyStillWorks(): Promise<void> {
    round++;
    await call<zookeeper.Stat>((cb) => healthy.setData('/alive', Buffer.from(`round ${round}`), -1, cb));
    const data = await new Promise<Buffer>((resolve, reject) =>
      healthy.getData('/alive', (error, value) => (error ? reject(error) : resolve(value))),
    );
    expect(data.toString()).toBe(`round ${round}`);
  }

  beforeAll(async () => {
    server = await startZooKeeperServer({ port: 0, maxFrameSize: 64 * 1024 });
    healthy = zookeeper.createClient(server.connectionString, { sessionTimeout: 10_000 });
    await new Promise<void>((resolve) => {
      healthy.once('connected', () => resolve());
      healthy.connect();
    });
    await call<string>((cb) => healthy.create('/alive', Buffer.from('start'), cb));
  });

  afterAll(async () => {
    healthy?.close();
    await server?.close();
  });

  it('closes a connection that opens with garbage', async () => {
    const raw = await RawZkClient.open(server.port);
    raw.socket.write(Buffer.from('hello, is this a kafka broker?\r\n\r\n'));
    await raw.closedPromise;
    expect(raw.frames).toEqual([]);
    await healthyStillWorks();
  });

  it('closes a connection whose first frame is not a ConnectRequest', async () => {
    const raw = await RawZkClient.open(server.port);
    raw.socket.write(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    await raw.closedPromise;
    await healthyStillWorks();
  });

  it('closes a connection that announces a frame above the limit, without waiting for its body', async () => {
    const { client, response } = await RawZkClient.session(server.port);
    expect(response.timeOut).toBeGreaterThan(0);
    const header = Buffer.alloc(4);
    header.writeInt32BE(64 * 1024 + 1);
    client.socket.write(header);
    await client.closedPromise;
    await healthyStillWorks();
  });

  it('closes a connection whose frame is too short for a request header', async () => {
    const { client } = await RawZkClient.session(server.port);
    client.socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 1]));
    await client.closedPromise;
    await healthyStillWorks();
  });

  it('answers a request whose body does not decode with MARSHALLINGERROR and keeps the connection', async () => {
    // Apache ZooKeeper 3.8 does the same: the frame itself was intact, so the stream is still in step.
    const { client } = await RawZkClient.session(server.port);
    client.send(7, 1, (w) => w.int(100)); // create whose path claims 100 bytes the frame does not hold
    expect((await client.nextReply()).header).toMatchObject({ xid: 7, err: -5 });
    client.send(8, 4, (w) => w.string('/alive').bool(false));
    expect((await client.nextReply()).header).toMatchObject({ xid: 8, err: 0 });
    client.vanish();
    await healthyStillWorks();
  });

  it('tolerates a client that dies mid-frame', async () => {
    const { client } = await RawZkClient.session(server.port);
    client.socket.end(Buffer.from([0, 0, 0, 100, 0, 0, 0, 1, 0, 0]));
    await client.closedPromise;
    await healthyStillWorks();
  });

  it('answers an unknown opcode with UNIMPLEMENTED (-6), then closes', async () => {
    const { client } = await RawZkClient.session(server.port);
    client.send(1, 4, (w) => w.string('/alive').bool(false)); // a getData first: replies stay in order
    client.send(2, 999);
    const first = await client.nextReply();
    expect(first.header).toMatchObject({ xid: 1, err: 0 });
    const second = await client.nextReply();
    expect(second.header).toMatchObject({ xid: 2, err: -6 });
    await client.closedPromise;
    await healthyStillWorks();
  });

  it('refuses a wrong session password like ZooKeeper: timeout 0, then close', async () => {
    const { client, response } = await RawZkClient.session(server.port);
    const impostor = await RawZkClient.session(server.port, {
      sessionId: response.sessionId,
      passwd: Buffer.alloc(16, 0xab),
    });
    expect(impostor.response).toMatchObject({ timeOut: 0, sessionId: 0n });
    await impostor.client.closedPromise;
    // The real owner is unaffected.
    const created = await client.create(3, '/owner-check', 'x', 1);
    expect(created.header.err).toBe(0);
    client.vanish();
    await healthyStillWorks();
  });

  it('refuses a client that has seen a newer zxid than the server (it must try another server)', async () => {
    const raw = await RawZkClient.open(server.port);
    const writer = JuteWriter.framed();
    writeConnectRequest(writer, {
      protocolVersion: 0,
      lastZxidSeen: 1_000_000_000,
      timeOut: 4000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
      readOnly: false,
    });
    raw.socket.write(writer.frame());
    await raw.closedPromise;
    expect(raw.frames).toEqual([]);
    await healthyStillWorks();
  });

  it('echoes the readOnly byte only to clients that sent it', async () => {
    const modern = await RawZkClient.session(server.port, {});
    const old = await RawZkClient.session(server.port, { omitReadOnly: true });
    expect(modern.response.readOnly).toBe(false);
    expect(old.response.readOnly).toBeUndefined();
    modern.client.vanish();
    old.client.vanish();
  });

  it('answers four-letter words on the client port', async () => {
    expect(await fourLetterWord(server.port, 'ruok')).toBe('imok');
    const srvr = await fourLetterWord(server.port, 'srvr');
    expect(srvr).toMatch(/^Zookeeper version: /);
    expect(srvr).toMatch(/Mode: standalone/);
    expect(srvr).toMatch(/Node count: \d+/);
    const mntr = await fourLetterWord(server.port, 'mntr');
    expect(mntr).toMatch(/^zk_version\t/);
    const znodes = Number(/zk_znode_count\t(\d+)/.exec(mntr)?.[1]);
    expect(znodes).toBeGreaterThanOrEqual(5); // /, /zookeeper, quota, config, /alive
    expect(await fourLetterWord(server.port, 'dump')).toBe(
      'dump is not executed because it is not in the whitelist.\n',
    );
    await healthyStillWorks();
  });
});
