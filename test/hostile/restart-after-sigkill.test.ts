import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';
import { startSluiceBroker } from '../support/broker-process.js';
import { freePorts } from '../support/ports.js';
import { startSluice, type RunningProcess } from '../support/processes.js';

/**
 * A broker SIGKILLed and restarted at once (what a supervisor or docker compose's restart policy does)
 * finds its registration still held by the killed process's ZooKeeper session. It waits for that
 * session to expire and then registers and serves, instead of exiting "already registered" until the
 * session is gone; a different broker (other port) claiming a live broker's id is still refused.
 */

const BROKER_ID = 4;
const SESSION_TIMEOUT_MS = 4_000;
const waitingLine = /still registered by an earlier run of this broker/g;

describe('restart right after SIGKILL', () => {
  let zk: EmbeddedZooKeeper;
  let observer: ZooKeeperSession;
  let dir: string;
  const started: RunningProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-restart-sigkill-'));
    zk = await startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
    observer = await ZooKeeperSession.connect(zk.connectionString);
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.kill('SIGKILL')));
    await observer?.close();
    await zk?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function launch(port: number, logDir: string): Promise<RunningProcess> {
    return startSluiceBroker({
      id: BROKER_ID,
      port,
      logDir,
      zookeeper: zk.connectionString,
      overrides: { 'zookeeper.session.timeout.ms': String(SESSION_TIMEOUT_MS) },
    }).then((broker) => {
      started.push(broker);
      return broker;
    });
  }

  it('waits for its own old session to expire, then registers and serves; another broker with the id is refused', async () => {
    const [port, otherPort] = await freePorts(2);
    const logDir = join(dir, 'broker-4');
    const first = await launch(port!, logDir);
    const before = await observer.exists(`/brokers/ids/${BROKER_ID}`);
    expect(before).not.toBeNull();

    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    // The old session still holds the registration when the new process starts.
    expect(await observer.exists(`/brokers/ids/${BROKER_ID}`)).not.toBeNull();
    const restarted = await launch(port!, logDir);

    const after = await observer.exists(`/brokers/ids/${BROKER_ID}`);
    expect(after?.ephemeralOwner).toBeDefined();
    expect(after!.ephemeralOwner).not.toBe(before!.ephemeralOwner);
    const output = restarted.stdout() + restarted.stderr();
    expect(output.match(waitingLine)).toHaveLength(1);
    const registration = await new ClusterState(observer).readBroker(BROKER_ID);
    expect(registration?.port).toBe(port);

    const client = await RawKafkaConnection.open(port!);
    try {
      const metadata = await client.request(3, 9, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(metadata.brokers).toEqual([expect.objectContaining({ nodeId: BROKER_ID, port })]);
    } finally {
      client.close();
    }

    // A genuinely different broker (another port) with the live broker's id: refused, without waiting.
    const impostor = startSluice([
      'broker',
      '--override',
      `broker.id=${BROKER_ID}`,
      '--override',
      `zookeeper.connect=${zk.connectionString}`,
      '--override',
      `listeners=PLAINTEXT://127.0.0.1:${otherPort}`,
      '--override',
      `log.dirs=${join(dir, 'impostor')}`,
    ]);
    started.push(impostor);
    expect(await impostor.exited).toBe(1);
    expect(impostor.stderr()).toMatch(/broker\.id 4 is already registered by a live broker/);
    expect(impostor.stdout() + impostor.stderr()).not.toMatch(waitingLine);
    expect((await observer.exists(`/brokers/ids/${BROKER_ID}`))?.ephemeralOwner).toBe(after!.ephemeralOwner);
  });
});
