import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest, encodeResponse, type DecodedRequest } from '../../../protocol/codec.js';
import { FrameDecoder } from '../../../protocol/frame-decoder.js';
import { API_DESCRIPTORS, ApiKey } from '../../../protocol/messages/index.js';
import { runToEnd } from '../../support/processes.js';

/**
 * Flexible versions against a client we did not write: kcat (librdkafka 2.0.2) opens with ApiVersions v3
 * (compact strings, tag buffers, request header v2) and then asks for Metadata. A tiny loopback responder
 * built only from the codec answers; kcat must print the metadata we encoded.
 */

const seen: DecodedRequest[] = [];
let server: Server;
let port = 0;

function answer(socket: Socket, request: DecodedRequest): void {
  const { header } = request;
  if (header.apiKey === ApiKey.ApiVersions) {
    const apiKeys = API_DESCRIPTORS.map((a) => ({
      apiKey: a.apiKey,
      minVersion: a.minVersion,
      maxVersion: a.maxVersion,
    }));
    socket.write(
      encodeResponse(ApiKey.ApiVersions, header.apiVersion, header.correlationId, {
        errorCode: 0,
        apiKeys,
        throttleTimeMs: 0,
      }),
    );
  } else if (header.apiKey === ApiKey.Metadata) {
    const partitions = [0, 1].map((partitionIndex) => ({
      errorCode: 0,
      partitionIndex,
      leaderId: 1,
      leaderEpoch: 0,
      replicaNodes: [1],
      isrNodes: [1],
      offlineReplicas: [],
    }));
    socket.write(
      encodeResponse(ApiKey.Metadata, header.apiVersion, header.correlationId, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
        clusterId: 'codec-check',
        controllerId: 1,
        topics: [
          { errorCode: 0, name: 'wire-topic', isInternal: false, partitions, topicAuthorizedOperations: 0 },
        ],
        clusterAuthorizedOperations: 0,
      }),
    );
  } else if (request.apiKey === ApiKey.Produce) {
    const responses = request.body.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode: 0,
        baseOffset: 0n,
        logAppendTimeMs: -1n,
        logStartOffset: 0n,
        recordErrors: [],
        errorMessage: null,
      })),
    }));
    socket.write(
      encodeResponse(ApiKey.Produce, header.apiVersion, header.correlationId, {
        responses,
        throttleTimeMs: 0,
      }),
    );
  } else {
    socket.destroy();
  }
}

beforeAll(async () => {
  server = createServer((socket) => {
    const frames = new FrameDecoder(1 << 20);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const frame of frames.push(chunk)) {
        const request = decodeRequest(frame);
        seen.push(request);
        answer(socket, request);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('librdkafka (kcat) against the codec', () => {
  it('negotiates with ApiVersions v3 and reads our Metadata response', async () => {
    const { stdout } = await runToEnd('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-J', '-m', '10'], {
      timeoutMs: 30_000,
    });
    const apiVersions = seen.find((r) => r.header.apiKey === ApiKey.ApiVersions);
    expect(apiVersions?.header.apiVersion).toBe(3);
    expect(apiVersions?.header.clientId).toBe('rdkafka');
    expect(apiVersions?.body).toMatchObject({ clientSoftwareName: 'librdkafka' });
    const metadata = seen.find((r) => r.header.apiKey === ApiKey.Metadata);
    expect(metadata?.header.apiVersion).toBeGreaterThanOrEqual(4);
    const listing = JSON.parse(stdout) as {
      brokers: { id: number }[];
      topics: { topic: string; partitions: unknown[] }[];
    };
    expect(listing.brokers.map((b) => b.id)).toEqual([1]);
    expect(listing.topics).toEqual([
      expect.objectContaining({ topic: 'wire-topic', partitions: expect.any(Array) }),
    ]);
    expect(listing.topics[0]!.partitions).toHaveLength(2);
  });

  it('produces a record batch we can see in the raw records bytes, and accepts our Produce response', async () => {
    seen.length = 0;
    await runToEnd('kcat', ['-b', `127.0.0.1:${port}`, '-P', '-t', 'wire-topic', '-p', '1', '-z', 'none'], {
      input: 'hello-from-librdkafka\n',
      timeoutMs: 30_000,
    });
    const produce = seen.find((r) => r.header.apiKey === ApiKey.Produce);
    expect(produce?.header.apiVersion).toBeGreaterThanOrEqual(3);
    if (produce?.apiKey !== ApiKey.Produce) throw new Error('no Produce request seen');
    const partition = produce.body.topicData[0]!.partitionData[0]!;
    expect(produce.body.topicData[0]!.name).toBe('wire-topic');
    expect(partition.index).toBe(1);
    expect(partition.records![16]).toBe(2); // magic byte of a v2 record batch
    expect(partition.records!.toString('latin1')).toContain('hello-from-librdkafka');
  });
});
