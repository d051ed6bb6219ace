import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperBrokerDiscovery } from '../../client/broker-discovery.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { UnknownTopicError } from '../../producer/producer-errors.js';
import { ZooKeeperRoutes } from '../../producer/zookeeper-routes.js';
import { waitFor } from '../support/wait.js';

/**
 * The producer's ZooKeeper routes against the embedded ZooKeeper server (no brokers needed): leader
 * moves written to a partition state znode, broker registrations coming and going, and a topic's
 * partitions growing all reach the routes through watches, without reloading anything by hand.
 */
let zookeeper: EmbeddedZooKeeper;
let session: ZooKeeperSession;
let state: ClusterState;
let discovery: ZooKeeperBrokerDiscovery;
let routes: ZooKeeperRoutes;

const endpoint = (port: number) => [
  { listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port },
];

beforeAll(async () => {
  zookeeper = await startZooKeeperServer({ port: 0 });
  session = await ZooKeeperSession.connect(zookeeper.connectionString);
  state = new ClusterState(session);
  await state.ensureTopLevelPaths();
  await state.registerBroker({ id: 1, endpoints: endpoint(9001) });
  await state.registerBroker({ id: 2, endpoints: endpoint(9002) });
  await state.createTopic('moves', [
    [1, 2],
    [2, 1],
  ]);
  await state.createPartitionState(
    { topic: 'moves', partition: 0 },
    { leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] },
  );
  await state.createPartitionState(
    { topic: 'moves', partition: 1 },
    { leader: 2, leaderEpoch: 0, controllerEpoch: 1, isr: [2, 1] },
  );
  discovery = await ZooKeeperBrokerDiscovery.connect(zookeeper.connectionString);
  routes = await ZooKeeperRoutes.start(discovery, 20);
});

afterAll(async () => {
  await routes?.close();
  await discovery?.close();
  await session?.close();
  await zookeeper?.close();
});

describe('ZooKeeper routes', () => {
  it('reads leaders and broker addresses, and refuses unknown topics', async () => {
    expect(await routes.load('moves')).toEqual({ partitionCount: 2, leaders: [1, 2], available: [0, 1] });
    expect(routes.brokerAddress(2)).toEqual({ host: '127.0.0.1', port: 9002 });
    await expect(routes.load('absent')).rejects.toBeInstanceOf(UnknownTopicError);
  });

  it('follows a leader move, a broker leaving and joining, and new partitions', async () => {
    let changes = 0;
    routes.on('change', () => changes++);
    const current = await state.readPartitionState({ topic: 'moves', partition: 0 });
    await state.updatePartitionState(
      { topic: 'moves', partition: 0 },
      { leader: 2, leaderEpoch: 1, controllerEpoch: 1, isr: [2] },
      current!.version,
    );
    await waitFor(() => routes.cached('moves')?.leaders[0] === 2, { what: 'the leader move' });

    await state.deregisterBroker(2);
    await waitFor(() => routes.brokerAddress(2) === undefined, { what: 'broker 2 gone' });
    expect(routes.cached('moves')!.available).toEqual([]); // both partitions are led by the missing broker

    await state.registerBroker({ id: 3, endpoints: endpoint(9003) });
    await waitFor(() => routes.brokerAddress(3)?.port === 9003, { what: 'broker 3 seen' });

    const assignment = await state.readTopicAssignment('moves');
    await state.updateTopicAssignment('moves', [[1, 2], [2, 1], [3]], assignment!.version);
    await state.createPartitionState(
      { topic: 'moves', partition: 2 },
      { leader: 3, leaderEpoch: 0, controllerEpoch: 1, isr: [3] },
    );
    await waitFor(() => routes.cached('moves')?.leaders[2] === 3, { what: 'the new partition' });
    expect(routes.cached('moves')).toEqual({ partitionCount: 3, leaders: [2, 2, 3], available: [2] });
    expect(changes).toBeGreaterThanOrEqual(4);
  });
});
