import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest } from '../support/fetch-partition.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

function produceBody(topic: string, values: string[], acks: number) {
  const records = encodeRecordBatchSync({
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 1_700_000_000_000n })),
  });
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

// Produce requests on one connection overlap once the previous one appended
// (broker/network/produce-pipelining.ts); what a client must still see is Kafka's ordering.
describe('pipelined produce requests on one connection', () => {
  let harness: BrokerHarness;
  let client: RawKafkaConnection;

  beforeAll(async () => {
    harness = await startBrokerHarness();
    client = await RawKafkaConnection.open(harness.port);
  });
  afterAll(async () => {
    client?.close();
    await harness?.stop();
  });

  it('appends in request order and answers in request order, other requests included', async () => {
    expect(await createTopic(client, 'pipelined')).toBe(0);
    const arrivals: string[] = [];
    const sent: Array<Promise<unknown>> = [];
    const sizes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const count = 1 + (i % 4);
      sizes.push(count);
      const values = Array.from({ length: count }, (_, j) => `r${i}-${j}`);
      const acks = i % 3 === 0 ? -1 : 1;
      sent.push(
        client.request(0, 9, produceBody('pipelined', values, acks)).then((response) => {
          arrivals.push(`produce ${i}`);
          return response;
        }),
      );
      if (i % 10 === 5) {
        sent.push(
          client
            .request(3, 9, {
              topics: [{ name: 'pipelined' }],
              allowAutoTopicCreation: false,
              includeClusterAuthorizedOperations: false,
              includeTopicAuthorizedOperations: false,
            })
            .then(() => arrivals.push(`metadata ${i}`)),
        );
      }
    }
    const responses = await Promise.all(sent);
    const expectedOrder: string[] = [];
    for (let i = 0; i < 30; i++) {
      expectedOrder.push(`produce ${i}`);
      if (i % 10 === 5) expectedOrder.push(`metadata ${i}`);
    }
    expect(arrivals).toEqual(expectedOrder);

    const baseOffsets = responses
      .filter(
        (
          r,
        ): r is {
          responses: Array<{ partitionResponses: Array<{ baseOffset: bigint; errorCode: number }> }>;
        } => typeof r === 'object' && r !== null && 'responses' in r,
      )
      .map((r) => r.responses[0]!.partitionResponses[0]!);
    expect(baseOffsets.every((p) => p.errorCode === 0)).toBe(true);
    let next = 0n;
    for (const [i, p] of baseOffsets.entries()) {
      expect(p.baseOffset).toBe(next);
      next += BigInt(sizes[i]!);
    }

    const fetched = await client.request(1, 11, fetchRequest('pipelined', 0n));
    const records = fetched.responses[0]!.partitions[0]!.records!;
    const values = decodeRecordBatchesSync(records).flatMap((b) => b.records.map((r) => r.value!.toString()));
    const expected = sizes.flatMap((count, i) => Array.from({ length: count }, (_, j) => `r${i}-${j}`));
    expect(values).toEqual(expected);
  });
});
