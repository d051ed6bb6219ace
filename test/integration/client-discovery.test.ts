import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BootstrapDiscovery,
  ZooKeeperBrokerDiscovery,
  type DiscoveredBroker,
} from '../../client/broker-discovery.js';
import { NoBrokersAvailableError } from '../../client/client-errors.js';
import { KafkaClient } from '../../client/kafka-client.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { freePort } from '../support/ports.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/** Broker discovery through ZooKeeper (embedded coordinator, real sessions) and through a real broker. */

let zookeeper: EmbeddedZooKeeper;
beforeAll(async () => {
  zookeeper = await startZooKeeperServer({ port: 0 });
});
afterAll(async () => {
  await zookeeper?.close();
});

const endpoint = (port: number) => [
  { listener: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' },
];

describe('ZooKeeperBrokerDiscovery', () => {
  it('lists registered brokers and follows registrations and departures', async () => {
    const brokerSessions = await Promise.all(
      [1, 2].map(() => ZooKeeperSession.connect(zookeeper.connectionString)),
    );
    const discovery = await ZooKeeperBrokerDiscovery.connect(zookeeper.connectionString);
    try {
      expect(await discovery.brokers()).toEqual([]);
      const changes: DiscoveredBroker[][] = [];
      discovery.on('change', (brokers) => changes.push(brokers));

      await new ClusterState(brokerSessions[0]!).registerBroker({ id: 7, endpoints: endpoint(9101) });
      await new ClusterState(brokerSessions[1]!).registerBroker({ id: 3, endpoints: endpoint(9102) });
      await waitFor(async () => (await discovery.brokers()).length === 2, { what: 'two brokers discovered' });
      expect(await discovery.brokers()).toEqual([
        { nodeId: 3, host: '127.0.0.1', port: 9102 },
        { nodeId: 7, host: '127.0.0.1', port: 9101 },
      ]);

      // A broker whose session ends disappears (its ephemeral registration goes with it).
      await brokerSessions[0]!.close();
      await waitFor(async () => (await discovery.brokers()).length === 1, { what: 'broker 7 to leave' });
      expect(await discovery.brokers()).toEqual([{ nodeId: 3, host: '127.0.0.1', port: 9102 }]);
      expect(changes.at(-1)).toEqual([{ nodeId: 3, host: '127.0.0.1', port: 9102 }]);
    } finally {
      await discovery.close();
      await brokerSessions[1]!.close();
    }
  });

  it('makes a KafkaClient fail with NoBrokersAvailableError when none is registered', async () => {
    const client = await KafkaClient.create({
      zookeeper: zookeeper.connectionString,
      connectTimeoutMs: 1_000,
    });
    try {
      await expect(client.refreshMetadata()).rejects.toBeInstanceOf(NoBrokersAvailableError);
    } finally {
      await client.close();
    }
  });
});

describe('KafkaClient against a real broker', () => {
  let broker: SingleBroker;
  beforeAll(async () => {
    broker = await startSingleBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('finds the broker through ZooKeeper or a bootstrap list (skipping a dead address) and caches metadata', async () => {
    const viaZk = await KafkaClient.create({ zookeeper: broker.zookeeper.connectionString });
    const dead = await freePort();
    const viaBootstrap = new KafkaClient(
      new BootstrapDiscovery([
        { host: '127.0.0.1', port: dead },
        { host: '127.0.0.1', port: broker.port },
      ]),
      { connectTimeoutMs: 2_000 },
    );
    try {
      for (const client of [viaZk, viaBootstrap]) {
        const metadata = await client.refreshMetadata([]);
        expect(metadata.brokerIds()).toEqual([1]);
        expect(metadata.broker(1)).toMatchObject({ host: '127.0.0.1', port: broker.port });
        expect(metadata.controllerOrAnyBroker()?.nodeId).toBe(1);
        expect(client.metadata).toBe(metadata);
        const connection = await client.connectionTo(1);
        // Versions were negotiated with the broker, within what both sides speak.
        expect(connection.versionOf(18)).toBeGreaterThanOrEqual(0);
        expect(connection.versionOf(3)).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await viaZk.close();
      await viaBootstrap.close();
    }
  });
});
