import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../broker/broker.js';
import { resolveBrokerConfig } from '../../broker/config.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { waitFor } from '../support/wait.js';
import { startTcpProxy, type TcpProxy } from '../zk/support/tcp-proxy.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';

describe('broker and its ZooKeeper session', () => {
  let zk: EmbeddedZooKeeper;
  let relay: TcpProxy;
  let observer: ZooKeeperSession;
  let state: ClusterState;
  let broker: Broker;
  let dataDir: string;

  const config = (id: number, connect: string) =>
    resolveBrokerConfig(
      new Map(
        Object.entries({
          'broker.id': String(id),
          listeners: 'PLAINTEXT://127.0.0.1:0',
          'log.dirs': join(dataDir, `broker-${id}`),
          'zookeeper.connect': connect,
          'zookeeper.session.timeout.ms': '1000',
        }),
      ),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-broker-session-'));
    zk = await startZooKeeperServer({ port: 0, tickTime: 200 });
    relay = await startTcpProxy('127.0.0.1', zk.port);
    observer = await ZooKeeperSession.connect(zk.connectionString);
    state = new ClusterState(observer);
    broker = await startBroker(config(1, relay.address));
  });
  afterAll(async () => {
    await broker?.close();
    await observer?.close();
    await relay?.close();
    await zk?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers with its real port, refuses a second broker with the same id', async () => {
    const registration = await state.readBroker(1);
    expect(registration?.endpoints).toEqual([
      {
        listener: 'PLAINTEXT',
        host: '127.0.0.1',
        port: broker.listeners[0]!.port,
        securityProtocol: 'PLAINTEXT',
      },
    ]);
    await expect(startBroker(config(1, zk.connectionString))).rejects.toThrow(
      /broker\.id 1 is already registered/,
    );
    expect((await state.readBroker(1))?.port).toBe(broker.listeners[0]!.port);
  });

  it('re-registers after its session expires and keeps following topics', async () => {
    const before = await observer.exists('/brokers/ids/1');
    relay.cut();
    await waitFor(async () => (await observer.exists('/brokers/ids/1')) === null, {
      timeoutMs: 15_000,
      what: 'registration gone with the expired session',
    });
    relay.restore();
    const after = await waitFor(() => observer.exists('/brokers/ids/1'), {
      timeoutMs: 15_000,
      what: 'registration back',
    });
    expect(after.ephemeralOwner).not.toBe(before!.ephemeralOwner);

    // A topic created behind its back (as another broker would) is picked up on the new session.
    await state.createTopic('after-expiry', [[1]]);
    await state.createPartitionState(
      { topic: 'after-expiry', partition: 0 },
      { leader: 1, leaderEpoch: 0, controllerEpoch: 0, isr: [1] },
    );
    const client = await RawKafkaConnection.open(broker.listeners[0]!.port);
    try {
      const response = await waitFor(
        async () => {
          const r = await client.request(0, 7, {
            transactionalId: null,
            acks: 1,
            timeoutMs: 5_000,
            topicData: [
              {
                name: 'after-expiry',
                partitionData: [
                  {
                    index: 0,
                    records: encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('x') }] }),
                  },
                ],
              },
            ],
          });
          return r.responses[0]!.partitionResponses[0]!.errorCode === 0 ? r : null;
        },
        { what: 'produce accepted on the new topic' },
      );
      expect(response.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0n);
    } finally {
      client.close();
    }
  });
});
