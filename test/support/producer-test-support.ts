import { KafkaConnection, parseAddress } from '../../client/kafka-connection.js';
import { KafkaAdmin } from '../../client/admin.js';
import { ApiKey } from '../../protocol/messages/index.js';
import type { DecodedRecord, DecodedRecordBatch } from '../../protocol/record-batch.js';
import { fetchPartitionToEnd } from './fetch-partition.js';

/** Every record of one partition, read with plain Fetch requests from `bootstrap` (which must lead it). */
export async function readPartition(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<DecodedRecord[]> {
  return (await readPartitionBatches(bootstrap, topic, partition)).flatMap((b) => b.records);
}

/** Every batch of one partition (records trimmed to those at or after the previous batch's end). */
export async function readPartitionBatches(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<DecodedRecordBatch[]> {
  const connection = await KafkaConnection.connect(parseAddress(bootstrap));
  try {
    const read = await fetchPartitionToEnd(
      (body) => connection.request(ApiKey.Fetch, body),
      topic,
      partition,
    );
    if (read.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}: error ${read.errorCode}`);
    return read.batches;
  } finally {
    connection.close();
  }
}

export async function createTopicVia(
  bootstrap: string,
  name: string,
  numPartitions: number,
  replicationFactor = 1,
): Promise<void> {
  const admin = await KafkaAdmin.create({ bootstrapServers: [bootstrap] });
  try {
    const [result] = await admin.createTopics([{ name, numPartitions, replicationFactor }]);
    if (result?.error) throw result.error;
  } finally {
    await admin.close();
  }
}

/**
 * A real TCP relay between clients and one broker. It forwards bytes both ways unchanged, but watches
 * the Kafka framing: when `shouldCut(n)` says so for the n-th Produce response, it closes both sockets
 * instead of forwarding that response — the broker has appended the batch, the client never hears of
 * it, and has to retry. (The broker advertises the relay's address, so every client connection and
 * reconnection goes through it.)
 */
export interface KafkaRelay {
  port: number;
  /** Produce responses withheld (connections cut). */
  readonly cuts: number;
  readonly produceResponses: number;
  close(): Promise<void>;
}

export async function startKafkaRelay(
  port: number,
  upstream: { host: string; port: number },
  shouldCut: (produceResponseIndex: number) => boolean,
): Promise<KafkaRelay> {
  const { createServer, connect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  let cuts = 0;
  let produceResponses = 0;
  const server = createServer((client) => {
    const broker = connect(upstream.port, upstream.host);
    sockets.add(client);
    sockets.add(broker);
    const apiKeys = new Map<number, number>();
    let fromClient = Buffer.alloc(0);
    let fromBroker = Buffer.alloc(0);
    const closeBoth = () => {
      client.destroy();
      broker.destroy();
      sockets.delete(client);
      sockets.delete(broker);
    };
    client.on('error', closeBoth);
    broker.on('error', closeBoth);
    client.on('close', closeBoth);
    broker.on('close', closeBoth);
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      while (fromClient.length >= 4) {
        const size = fromClient.readInt32BE(0);
        if (fromClient.length < 4 + size) break;
        apiKeys.set(fromClient.readInt32BE(8), fromClient.readInt16BE(4));
        fromClient = fromClient.subarray(4 + size);
      }
      broker.write(chunk);
    });
    broker.on('data', (chunk: Buffer) => {
      fromBroker = Buffer.concat([fromBroker, chunk]);
      while (fromBroker.length >= 8) {
        const size = fromBroker.readInt32BE(0);
        if (fromBroker.length < 4 + size) break;
        const frame = fromBroker.subarray(0, 4 + size);
        fromBroker = fromBroker.subarray(4 + size);
        const correlationId = frame.readInt32BE(4);
        const apiKey = apiKeys.get(correlationId);
        apiKeys.delete(correlationId);
        if (apiKey === 0) {
          if (shouldCut(produceResponses++)) {
            cuts++;
            closeBoth();
            return;
          }
        }
        client.write(frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    get cuts() {
      return cuts;
    },
    get produceResponses() {
      return produceResponses;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
