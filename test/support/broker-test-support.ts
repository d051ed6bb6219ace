import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from '../../broker/broker.js';
import { resolveBrokerConfig } from '../../broker/config.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import {
  decodeResponse,
  encodeRequest,
  FrameDecoder,
  peekCorrelationId,
  type ApiKey,
  type RequestBodies,
  type ResponseBodies,
} from '../../protocol/index.js';

/** An embedded coordinator and one in-process broker on free ports, in a temp data dir. */
export interface BrokerHarness {
  zk: EmbeddedZooKeeper;
  broker: Broker;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startBrokerHarness(overrides: Record<string, string> = {}): Promise<BrokerHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-broker-'));
  const zk = await startZooKeeperServer({ port: 0 });
  const config = resolveBrokerConfig(
    new Map(
      Object.entries({
        'broker.id': '1',
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'log.dirs': join(dataDir, 'logs'),
        'zookeeper.connect': zk.connectionString,
        ...overrides,
      }),
    ),
  );
  const broker = await startBroker(config);
  return {
    zk,
    broker,
    port: broker.listeners[0]!.port,
    dataDir,
    async stop() {
      await broker.close();
      await zk.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A bare Kafka-protocol connection for tests: our codec over a socket, one outstanding request list
 * matched by correlation id, plus raw byte access for hostile input.
 */
export class RawKafkaConnection {
  private readonly decoder = new FrameDecoder(1 << 30);
  private readonly pending = new Map<number, (frame: Buffer) => void>();
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const id = peekCorrelationId(frame);
        const resolve = this.pending.get(id);
        this.pending.delete(id);
        resolve?.(frame);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RawKafkaConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends a request and resolves with the decoded response body. */
  async request<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: RequestBodies[K],
  ): Promise<ResponseBodies[K]> {
    const frame = await this.requestFrame(apiKey, apiVersion, body);
    return decodeResponse(apiKey, apiVersion, frame).body;
  }

  /** Sends a request and resolves with the raw response frame (without its size prefix). */
  requestFrame<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestBodies[K]): Promise<Buffer> {
    const correlationId = this.nextCorrelationId++;
    const bytes = encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'broker-test' }, body);
    return this.sendExpectingFrame(bytes, correlationId);
  }

  /** Sends a request for which no response is expected (Produce acks=0). */
  send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestBodies[K]): void {
    const correlationId = this.nextCorrelationId++;
    this.socket.write(encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'broker-test' }, body));
  }

  /** Writes arbitrary bytes and resolves with the frame answering `correlationId`. */
  sendExpectingFrame(bytes: Buffer, correlationId: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, resolve);
      void this.closed.then(() => reject(new Error('connection closed before the response')));
      this.socket.write(bytes);
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A request frame with size prefix and a v1 header, carrying any api key/version and body bytes. */
export function rawRequest(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(-1, 8); // null client id
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length, 0);
  return Buffer.concat([size, header, body]);
}

export async function createTopic(
  connection: RawKafkaConnection,
  name: string,
  numPartitions = 1,
  configs: Array<{ name: string; value: string }> = [],
): Promise<number> {
  const response = await connection.request(19, 5, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  return response.topics[0]!.errorCode;
}
