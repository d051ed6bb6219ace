import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerConnectionError, RequestTimeoutError } from '../../../client/client-errors.js';
import { KafkaConnection, parseAddress } from '../../../client/kafka-connection.js';
import { negotiateVersions } from '../../../client/api-version-negotiation.js';
import { decodeRequest, encodeResponse } from '../../../protocol/codec.js';
import { FrameDecoder } from '../../../protocol/frame-decoder.js';
import { ApiKey, type ResponseBodies } from '../../../protocol/messages/index.js';
import type { DecodedRequest } from '../../../protocol/codec.js';

/**
 * KafkaConnection against a scripted broker on a real loopback socket: the script sees each decoded
 * request and decides what bytes (if any) to send back.
 */
type Script = (request: DecodedRequest, socket: Socket) => void;

const servers: Server[] = [];
const connections: KafkaConnection[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function scriptedBroker(script: Script): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) script(decodeRequest(frame), socket);
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, sockets };
}

const apiVersionsBody = (maxMetadata: number): ResponseBodies[18] => ({
  errorCode: 0,
  apiKeys: [
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: maxMetadata },
    { apiKey: 999, minVersion: 0, maxVersion: 5 },
  ],
  throttleTimeMs: 0,
});

const metadataBody = (clusterId: string): ResponseBodies[3] => ({
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 1, rack: null }],
  clusterId,
  controllerId: 1,
  topics: [],
});

function reply(socket: Socket, request: DecodedRequest, body: ResponseBodies[ApiKey]): void {
  socket.write(
    encodeResponse(
      request.header.apiKey,
      request.header.apiVersion,
      request.header.correlationId,
      body as never,
    ),
  );
}

/** Answers ApiVersions; hands everything else to `rest`. */
function withApiVersions(maxMetadata: number, rest: Script): Script {
  return (request, socket) => {
    if (request.header.apiKey === ApiKey.ApiVersions) reply(socket, request, apiVersionsBody(maxMetadata));
    else rest(request, socket);
  };
}

async function connect(port: number, options = {}): Promise<KafkaConnection> {
  const connection = await KafkaConnection.connect({ host: '127.0.0.1', port }, options);
  connections.push(connection);
  return connection;
}

describe('KafkaConnection', () => {
  it('negotiates the highest common version per API and leaves out APIs without one', async () => {
    const { port } = await scriptedBroker(withApiVersions(5, () => undefined));
    const connection = await connect(port);
    expect(connection.versionOf(ApiKey.Metadata)).toBe(5);
    expect(connection.versionOf(ApiKey.ApiVersions)).toBe(3);
    expect(connection.versionOf(ApiKey.Produce)).toBeUndefined();
    expect(negotiateVersions([{ apiKey: ApiKey.Produce, minVersion: 10, maxVersion: 12 }]).size).toBe(0);
  });

  it('falls back to the version a broker names when it refuses our ApiVersions version (error 35)', async () => {
    const seen: number[] = [];
    const { port } = await scriptedBroker((request, socket) => {
      seen.push(request.header.apiVersion);
      if (request.header.apiVersion > 2) {
        // KIP-511: header v0, v0 body, error 35, our ApiVersions range.
        socket.write(
          encodeResponse(ApiKey.ApiVersions, 0, request.header.correlationId, {
            errorCode: 35,
            apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 }],
          }),
        );
      } else reply(socket, request, apiVersionsBody(9));
    });
    const connection = await connect(port);
    expect(seen).toEqual([3, 2]);
    expect(connection.versionOf(ApiKey.Metadata)).toBe(9);
  });

  it('pipelines requests and resolves each with its own response, in order', async () => {
    const pending: DecodedRequest[] = [];
    let socketRef: Socket | undefined;
    const { port } = await scriptedBroker(
      withApiVersions(9, (request, socket) => {
        pending.push(request);
        socketRef = socket;
        // Answer only once all 20 are outstanding: proves they were written without waiting.
        if (pending.length === 20) {
          for (const [i, r] of pending.entries()) reply(socket, r, metadataBody(`cluster-${i}`));
        }
      }),
    );
    const connection = await connect(port);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => connection.request(ApiKey.Metadata, { topics: null })),
    );
    expect(socketRef).toBeDefined();
    expect(results.map((r) => r.clusterId)).toEqual(Array.from({ length: 20 }, (_, i) => `cluster-${i}`));
    expect(connection.inFlightCount).toBe(0);
  });

  it('holds requests beyond maxInFlight until earlier ones are answered', async () => {
    const outstanding: DecodedRequest[] = [];
    let maxSeen = 0;
    const { port } = await scriptedBroker(
      withApiVersions(9, (request, socket) => {
        outstanding.push(request);
        maxSeen = Math.max(maxSeen, outstanding.length);
        setImmediate(() => {
          const r = outstanding.shift();
          if (r) reply(socket, r, metadataBody('x'));
        });
      }),
    );
    const connection = await connect(port, { maxInFlight: 2 });
    await Promise.all(
      Array.from({ length: 10 }, () => connection.request(ApiKey.Metadata, { topics: null })),
    );
    expect(maxSeen).toBeLessThanOrEqual(2);
  });

  it('times out a request, closes the connection and fails the others with a connection error', async () => {
    const { port } = await scriptedBroker(withApiVersions(9, () => undefined));
    const connection = await connect(port);
    const first = connection.request(ApiKey.Metadata, { topics: null }, { timeoutMs: 100 });
    const second = connection.request(ApiKey.Metadata, { topics: null }, { timeoutMs: 5_000 });
    await expect(first).rejects.toBeInstanceOf(RequestTimeoutError);
    await expect(second).rejects.toBeInstanceOf(BrokerConnectionError);
    expect(connection.isOpen).toBe(false);
    await expect(connection.request(ApiKey.Metadata, { topics: null })).rejects.toBeInstanceOf(
      BrokerConnectionError,
    );
  });

  it('rejects outstanding requests when the broker closes the socket', async () => {
    const { port } = await scriptedBroker(withApiVersions(9, (_request, socket) => socket.destroy()));
    const connection = await connect(port);
    const closed = new Promise<Error | undefined>((resolve) => connection.once('close', resolve));
    await expect(connection.request(ApiKey.Metadata, { topics: null })).rejects.toBeInstanceOf(
      BrokerConnectionError,
    );
    expect(await closed).toBeInstanceOf(BrokerConnectionError);
  });

  it('treats a response with the wrong correlation id as a broken connection', async () => {
    const { port } = await scriptedBroker(
      withApiVersions(9, (request, socket) =>
        socket.write(encodeResponse(ApiKey.Metadata, request.header.apiVersion, 424242, metadataBody('x'))),
      ),
    );
    const connection = await connect(port);
    await expect(connection.request(ApiKey.Metadata, { topics: null })).rejects.toThrow(
      /correlation id 424242/,
    );
  });

  it('fails to connect with a BrokerConnectionError naming the address', async () => {
    const { port } = await scriptedBroker(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    await expect(KafkaConnection.connect({ host: '127.0.0.1', port })).rejects.toThrow(`127.0.0.1:${port}`);
  });

  it('parses host:port addresses', () => {
    expect(parseAddress('localhost:9093')).toEqual({ host: 'localhost', port: 9093 });
    expect(parseAddress('broker')).toEqual({ host: 'broker', port: 9092 });
    expect(parseAddress('[::1]:9094')).toEqual({ host: '::1', port: 9094 });
    expect(() => parseAddress('a:b:c')).toThrow();
    expect(() => parseAddress('host:70000')).toThrow();
  });
});
