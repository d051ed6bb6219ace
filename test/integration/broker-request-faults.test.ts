import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/index.js';
import {
  REQUEST_FAULTS_SPAWN,
  requestFaultsApplied,
  setRequestFaults,
  startProcessCluster,
  type ProcessCluster,
} from '../support/process-cluster.js';
import { waitFor } from '../support/wait.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';

/** The test-only request faults of a `sluice broker` process, set on its stdin. */
describe('request faults of a broker process', () => {
  let cluster: ProcessCluster;
  const broker = () => cluster.brokers.get(1)!;
  const apiVersions = (connection: RawKafkaConnection) =>
    connection.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });

  beforeAll(async () => {
    cluster = await startProcessCluster({ brokers: 1, overrides: {}, spawn: REQUEST_FAULTS_SPAWN });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('delays the chosen request type, as many times as asked', async () => {
    const connection = await RawKafkaConnection.open(cluster.ports[0]!);
    try {
      await setRequestFaults(broker(), [
        { apiKey: ApiKey.ApiVersions, action: 'delay', delayMs: 700, count: 1 },
      ]);
      // 650, not 700: Date.now() and timers round to the millisecond.
      let started = Date.now();
      expect((await apiVersions(connection)).errorCode).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(650);
      started = Date.now();
      await apiVersions(connection);
      expect(Date.now() - started).toBeLessThan(700);
    } finally {
      connection.close();
    }
  });

  it('disconnects instead of handling, and leaves other request types alone', async () => {
    await setRequestFaults(broker(), [{ apiKey: ApiKey.Metadata, action: 'disconnect' }]);
    const connection = await RawKafkaConnection.open(cluster.ports[0]!);
    try {
      expect((await apiVersions(connection)).errorCode).toBe(0);
      await expect(
        connection.request(ApiKey.Metadata, 9, {
          topics: null,
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        }),
      ).rejects.toThrow('connection closed');
    } finally {
      connection.close();
    }
  });

  it('handles a request but drops its response; later responses on the connection still come', async () => {
    await setRequestFaults(broker(), [{ apiKey: ApiKey.ApiVersions, action: 'drop-response', count: 1 }]);
    const applied = requestFaultsApplied(broker());
    const connection = await RawKafkaConnection.open(cluster.ports[0]!);
    try {
      let answered = false;
      void apiVersions(connection).then(
        () => (answered = true),
        () => undefined,
      );
      expect((await apiVersions(connection)).errorCode).toBe(0);
      expect(answered).toBe(false);
      await waitFor(() => requestFaultsApplied(broker()) === applied + 1, { what: 'the fault logged' });
    } finally {
      connection.close();
    }
  });

  it('refuses a bad rule line and keeps the rules it had', async () => {
    await setRequestFaults(broker(), [
      { apiKey: ApiKey.ApiVersions, action: 'delay', delayMs: 700, count: 1 },
    ]);
    broker().child.stdin!.write('{"apiKey": 18}\n');
    await broker().waitForOutput('bad request fault rules', 10_000);
    const connection = await RawKafkaConnection.open(cluster.ports[0]!);
    try {
      const started = Date.now();
      expect((await apiVersions(connection)).errorCode).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    } finally {
      connection.close();
    }
  });
});
