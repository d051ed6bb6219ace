import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { freePort } from '../support/ports.js';
import { projectRoot, runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/** `sluice topics …` as a user runs it: a separate process against a real broker and coordinator. */

let broker: SingleBroker;
let zk: string;

beforeAll(async () => {
  broker = await startSingleBroker();
  zk = broker.zookeeper.connectionString;
});

afterAll(async () => {
  await broker?.close();
});

function sluice(args: string[]) {
  return runToEnd(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    allowFailure: true,
    timeoutMs: 60_000,
    env: { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: 'warn' },
  });
}

/** A user mistake: exit 1, one line on stderr, no stack trace. */
function expectOneLineError(result: { code: number | string; stderr: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('sluice topics', () => {
  it('creates a topic through ZooKeeper discovery, with partitions and configs', async () => {
    const created = await sluice([
      'topics',
      'create',
      '--zookeeper',
      zk,
      '--topic',
      'orders',
      '--partitions',
      '3',
      '--config',
      'retention.ms=3600000',
      '--config',
      'segment.bytes=1048576',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe('Created topic orders.');

    const session = await ZooKeeperSession.connect(zk);
    try {
      const state = new ClusterState(session);
      expect((await state.readTopicAssignment('orders'))?.value).toEqual([[1], [1], [1]]);
      expect(await state.readTopicConfig('orders')).toMatchObject({
        'retention.ms': '3600000',
        'segment.bytes': '1048576',
      });
    } finally {
      await session.close();
    }
  });

  it('refuses a duplicate with one line, and accepts it with --if-not-exists', async () => {
    expectOneLineError(
      await sluice([
        'topics',
        'create',
        '--bootstrap-server',
        broker.bootstrap,
        '--topic',
        'orders',
        '--partitions',
        '1',
      ]),
      /^sluice topics create: .*(already exists|TOPIC_ALREADY_EXISTS)/i,
    );
    const again = await sluice([
      'topics',
      'create',
      '--zookeeper',
      zk,
      '--topic',
      'orders',
      '--if-not-exists',
      '--output',
      'json',
    ]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ topic: 'orders', created: false });
  });

  it('lists topics as text and JSON, through either discovery', async () => {
    await sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'audit']);
    const text = await sluice(['topics', 'list', '--zookeeper', zk]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['audit', 'orders']));
    const json = await sluice(['topics', 'list', '--bootstrap-server', broker.bootstrap, '--output', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(expect.arrayContaining(['audit', 'orders']));
  });

  it('describes partitions with leader, replicas, ISR and log start/end offsets', async () => {
    await runToEnd('kcat', ['-P', '-b', broker.bootstrap, '-t', 'orders', '-p', '1'], {
      input: 'a\nb\nc\nd\ne\n',
    });
    const text = await sluice(['topics', 'describe', '--zookeeper', zk, '--topic', 'orders']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'Topic: orders\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=3600000,segment.bytes=1048576',
    );
    expect(lines.slice(1)).toEqual(
      [0, 1, 2].map(
        (p) =>
          `\tTopic: orders\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tLogStartOffset: 0\tLogEndOffset: ${p === 1 ? 5 : 0}`,
      ),
    );
    const json = await sluice([
      'topics',
      'describe',
      '--bootstrap-server',
      broker.bootstrap,
      '--output',
      'json',
    ]);
    const described = JSON.parse(json.stdout) as {
      topic: string;
      partitions: { partition: number; logEndOffset: number }[];
    }[];
    expect(described.map((d) => d.topic)).toEqual(expect.arrayContaining(['audit', 'orders']));
    expect(described.find((d) => d.topic === 'orders')?.partitions.map((p) => p.logEndOffset)).toEqual([
      0, 5, 0,
    ]);
  });

  it('deletes a topic, and reports a missing one in one line', async () => {
    const deleted = await sluice(['topics', 'delete', '--zookeeper', zk, '--topic', 'audit']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout.trim()).toBe('Deleted topic audit.');
    await waitFor(
      async () =>
        !JSON.parse(
          (await sluice(['topics', 'list', '--zookeeper', zk, '--output', 'json'])).stdout,
        ).includes('audit'),
      {
        timeoutMs: 20_000,
        what: 'audit to disappear from the topic list',
      },
    );
    expectOneLineError(
      await sluice(['topics', 'describe', '--zookeeper', zk, '--topic', 'audit']),
      /topic audit does not exist/,
    );
    expectOneLineError(
      await sluice(['topics', 'delete', '--zookeeper', zk, '--topic', 'audit']),
      /topic audit does not exist/,
    );
    expect(
      (await sluice(['topics', 'delete', '--zookeeper', zk, '--topic', 'audit', '--if-exists'])).code,
    ).toBe(0);
  });

  it('turns broker refusals and unreachable clusters into one clear line', async () => {
    expectOneLineError(
      await sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'wide', '--replication-factor', '2']),
      /^sluice topics create: .*replication/i,
    );
    const nobody = await freePort();
    expectOneLineError(
      await sluice(['topics', 'list', '--bootstrap-server', `127.0.0.1:${nobody}`]),
      new RegExp(`^sluice topics list: no broker available: .*127\\.0\\.0\\.1:${nobody}`),
    );
    expectOneLineError(
      await sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'x', '--partitions', '0']),
      /partitions must be an integer/,
    );
  });
});
