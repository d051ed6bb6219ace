import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { freePort } from '../support/ports.js';
import { projectRoot, runToEnd, startSluice } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * The CLI as a Kafka user meets it: the flags they type out of habit (--topic, --bootstrap-server on
 * group commands), and every mistake answered with one line and exit 1 — never a stack trace, a hang,
 * or a write during a dry run.
 */

let broker: SingleBroker;
let zk: string;
let dir: string;

beforeAll(async () => {
  broker = await startSingleBroker();
  zk = broker.zookeeper.connectionString;
  dir = await mkdtemp(join(tmpdir(), 'sluice-cli-user-errors-'));
  const created = await sluice([
    'topics',
    'create',
    '--zookeeper',
    zk,
    '--topic',
    'lines',
    '--partitions',
    '1',
  ]);
  expect(created.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sluice(args: string[], input?: string) {
  return runToEnd(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    input,
    allowFailure: true,
    timeoutMs: 30_000,
    // The user's environment: no SLUICE_LOG_* (the command picks its own quiet logging).
    env: { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: undefined, SLUICE_LOG_FORMAT: undefined },
  });
}

function expectOneLineError(result: { code: number | string; stderr: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toEqual([expect.stringMatching(pattern)]);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** Accepts connections and never answers: a ZooKeeper that is "there" but never opens a session. */
async function blackHole(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => sockets.length,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function groupNames(): Promise<string[]> {
  const session = await ZooKeeperSession.connect(zk);
  try {
    return await new ClusterState(session).listGroups();
  } finally {
    await session.close();
  }
}

describe('sluice produce and consume, as kafka-console-producer/-consumer users type them', () => {
  it('take --topic as well as the argument, and refuse two different topics', async () => {
    const produced = await sluice(['produce', '--zookeeper', zk, '--topic', 'lines'], 'one\n');
    expect(produced.code).toBe(0);
    expect(produced.stderr).toMatch(/^1 record \(/);

    const consumed = await sluice([
      'consume',
      '--zookeeper',
      zk,
      '--topic',
      'lines',
      '--from-beginning',
      '--max-messages',
      '1',
    ]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe('one\n');

    const [twoTopics, noTopic] = await Promise.all([
      sluice(['produce', 'lines', '--zookeeper', zk, '--topic', 'other'], 'x\n'),
      sluice(['consume', '--zookeeper', zk]),
    ]);
    expectOneLineError(twoTopics, /^sluice produce: two topics given \(lines and --topic other\)/);
    expectOneLineError(noTopic, /^sluice consume: no topic given/);
  });

  it('take kafka-console-producer/-consumer --property keys, and name an unknown one', async () => {
    const created = await sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'props']);
    expect(created.code).toBe(0);
    const produced = await sluice(
      [
        'produce',
        'props',
        '--zookeeper',
        zk,
        '--property',
        'parse.key=true',
        '--property',
        'key.separator==',
        '--property',
        'parse.headers=true',
      ],
      'h1:x,h2:y\tk1=v1\n',
    );
    expect(produced.code).toBe(0);
    const consumed = await sluice([
      'consume',
      'props',
      '--zookeeper',
      zk,
      '--from-beginning',
      '--max-messages',
      '1',
      '--property',
      'print.key=true',
      '--property',
      'print.timestamp=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.headers=true',
      '--property',
      'key.separator= | ',
    ]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toMatch(/^CreateTime:\d+\tPartition:0\th1:x,h2:y\tk1 \| v1\n$/);

    const [unknownKey, notBoolean] = await Promise.all([
      sluice(['produce', 'props', '--zookeeper', zk, '--property', 'parse.kee=true'], 'x\n'),
      sluice(['consume', 'props', '--zookeeper', zk, '--property', 'print.key=yes']),
    ]);
    expectOneLineError(unknownKey, /^sluice produce: unknown --property parse\.kee \(known: parse\.key, /);
    expectOneLineError(notBoolean, /^sluice consume: --property print\.key must be true or false/);
  });

  it('consume: a reader that closes the pipe (| head) ends it quietly with exit 0', async () => {
    expect((await sluice(['produce', 'lines', '--zookeeper', zk], 'before-head\n')).code).toBe(0);
    const consumer = startSluice(['consume', 'lines', '--zookeeper', zk, '--from-beginning'], {
      env: { SLUICE_LOG_LEVEL: undefined },
    });
    try {
      await waitFor(() => consumer.stdout().length > 0, { timeoutMs: 20_000, what: 'the first record' });
      consumer.child.stdout!.destroy();
      // The next write meets the closed pipe.
      expect((await sluice(['produce', 'lines', '--zookeeper', zk], 'after-head\n')).code).toBe(0);
      const deadline = new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000).unref());
      expect(await Promise.race([consumer.exited, deadline])).toBe(0);
      expect(consumer.stderr()).not.toMatch(/EPIPE|^\s+at /m);
      expect(consumer.stderr()).toMatch(/processed a total of \d+ messages/);
    } finally {
      await consumer.kill('SIGKILL');
    }
  }, 60_000);

  it('produce: Ctrl-C ends the input like end-of-file: the summary is printed, exit 0', async () => {
    expect((await sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'interrupted'])).code).toBe(0);
    const producer = startSluice(['produce', 'interrupted', '--zookeeper', zk], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { SLUICE_LOG_LEVEL: undefined },
    });
    try {
      producer.child.stdin!.write('one\ntwo\ncut-off');
      await waitFor(
        async () => {
          const read = await runToEnd('kcat', [
            '-C',
            '-b',
            broker.bootstrap,
            '-t',
            'interrupted',
            '-e',
            '-q',
          ]);
          return read.stdout === 'one\ntwo\n';
        },
        { timeoutMs: 20_000, what: 'the two complete lines in the topic' },
      );
      producer.child.kill('SIGINT');
      expect(await producer.exited).toBe(0);
      expect(producer.stderr()).toMatch(/^2 records \(.* to interrupted /);
    } finally {
      await producer.kill('SIGKILL');
    }
  }, 60_000);

  it('produce: a missing or unreadable --file is one line before anything is sent', async () => {
    const [absent, directory] = await Promise.all([
      sluice(['produce', 'lines', '--zookeeper', zk, '--file', join(dir, 'absent.txt')]),
      sluice(['produce', 'lines', '--zookeeper', zk, '--file', dir]),
    ]);
    expectOneLineError(absent, /^sluice produce: cannot read --file .*absent\.txt: no such file$/);
    expectOneLineError(directory, /^sluice produce: cannot read --file .*: a directory$/);
  });

  it('consume: a topic that does not exist is one line at once, not an endless wait', async () => {
    const started = Date.now();
    const result = await sluice(['consume', 'no-such-topic', '--zookeeper', zk, '--max-messages', '1']);
    expectOneLineError(result, /^sluice consume: topic no-such-topic does not exist/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('consume: an unreachable ZooKeeper is one line (no summary), and Ctrl-C does not wait for it', async () => {
    const hole = await blackHole();
    try {
      // Ctrl-C while the session is being opened: exit 130 at once rather than after the connect timeout.
      const interrupted = startSluice(['consume', 'lines', '--zookeeper', `127.0.0.1:${hole.port}`]);
      const failing = sluice(['consume', 'lines', '--zookeeper', `127.0.0.1:${hole.port}`, '--group', 'g']);
      // Each consumer connects twice: the reachability probe, then its ZooKeeper session.
      await waitFor(() => hole.connections() >= 4, { timeoutMs: 15_000, what: 'both consumers to connect' });
      interrupted.child.kill('SIGINT');
      const signalled = Date.now();
      expect(await interrupted.exited).toBe(130);
      expect(Date.now() - signalled).toBeLessThan(3_000);
      expect(interrupted.stdout()).toBe('');

      expectOneLineError(
        await failing,
        new RegExp(`^sluice consume: could not open a ZooKeeper session at 127\\.0\\.0\\.1:${hole.port} `),
      );
    } finally {
      await hole.close();
    }
  }, 30_000);
});

describe('sluice groups, as kafka-consumer-groups users type it', () => {
  it('answers --bootstrap-server with a pointer to --zookeeper, on groups commands and on consume', async () => {
    const pointer = /consumer groups live in ZooKeeper.*--zookeeper/;
    const commands = [
      ['groups', 'list'],
      ['groups', 'reset-offsets', 'g', '--topic', 'lines', '--to-earliest'],
      ['consume', 'lines'],
    ];
    const results = await Promise.all(
      commands.map((args) => sluice([...args, '--bootstrap-server', broker.bootstrap])),
    );
    for (const result of results) expectOneLineError(result, pointer);
  });

  it('reset-offsets: a dry run for an unknown group writes nothing; a missing topic is named', async () => {
    const dry = await sluice([
      'groups',
      'reset-offsets',
      'ghost',
      '--zookeeper',
      zk,
      '--topic',
      'lines',
      '--to-latest',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/dry run: nothing written/);
    expect(await groupNames()).not.toContain('ghost');
    const [deleted, missingTopic] = await Promise.all([
      sluice(['groups', 'delete', 'ghost', '--zookeeper', zk]),
      sluice(['groups', 'reset-offsets', 'ghost', '--zookeeper', zk, '--topic', 'nope', '--to-latest']),
    ]);
    expectOneLineError(deleted, /^sluice groups delete: group ghost does not exist$/);
    expectOneLineError(missingTopic, /^sluice groups reset-offsets: topic nope does not exist$/);
    expect(await groupNames()).not.toContain('ghost');
  });
});

describe('sluice groups describe', () => {
  it('takes --group, and shows no empty coordinator section for a ZooKeeper group', async () => {
    expect((await sluice(['produce', 'lines', '--zookeeper', zk], 'for-readers\n')).code).toBe(0);
    const consumed = await sluice([
      'consume',
      'lines',
      '--zookeeper',
      zk,
      '--group',
      'readers',
      '--from-beginning',
      '--max-messages',
      '1',
    ]);
    expect(consumed.code).toBe(0);
    // --group, as kafka-consumer-groups takes it, names the group as well as the argument does.
    const described = await sluice(['groups', 'describe', '--group', 'readers', '--zookeeper', zk]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^GROUP readers: no live members/);
    expect(described.stdout).toMatch(/lines\s+0\s+\d+\s+\d+\s+\d+\s+-/);
    expect(described.stdout).not.toMatch(/COORDINATOR|MEMBER-ID/);
  });
});

describe('sluice topics and cluster discovery errors', () => {
  it('shows the broker’s own explanation of a refused create, once', async () => {
    const [wide, duplicate] = await Promise.all([
      sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'wide', '--replication-factor', '3']),
      sluice(['topics', 'create', '--zookeeper', zk, '--topic', 'lines']),
    ]);
    expectOneLineError(
      wide,
      /^sluice topics create: replication factor 3 is larger than the 1 live broker\(s\)$/,
    );
    expectOneLineError(duplicate, /^sluice topics create: Topic 'lines' already exists\.$/);
  });

  it('names an unreachable bootstrap broker once, with the reason', async () => {
    const nobody = await freePort();
    const result = await sluice(['topics', 'list', '--bootstrap-server', `127.0.0.1:${nobody}`]);
    expectOneLineError(
      result,
      new RegExp(
        `^sluice topics list: no broker available: could not reach 127\\.0\\.0\\.1:${nobody} \\(connect ECONNREFUSED`,
      ),
    );
    expect(result.stderr.split(`127.0.0.1:${nobody}`)).toHaveLength(3);
  });

  it('gives up on a broker that accepts connections but never answers in seconds, in one line', async () => {
    const hole = await blackHole();
    try {
      const started = Date.now();
      const [listed, produced] = await Promise.all([
        sluice(['topics', 'list', '--bootstrap-server', `127.0.0.1:${hole.port}`]),
        sluice(['produce', 'lines', '--bootstrap-server', `127.0.0.1:${hole.port}`], 'x\n'),
      ]);
      // No JSON warning around the error: one line each.
      expectOneLineError(
        listed,
        new RegExp(
          `^sluice topics list: no broker available: could not reach 127\\.0\\.0\\.1:${hole.port} \\(no ApiVersions response within 10000 ms\\)$`,
        ),
      );
      expectOneLineError(
        produced,
        /^sluice produce: no broker available: .*no ApiVersions response within \d+ ms/,
      );
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      await hole.close();
    }
  }, 40_000);

  it('checks --zookeeper before connecting: a bad port is one line, not a crash in a socket callback', async () => {
    const results = await Promise.all([
      sluice(['topics', 'list', '--zookeeper', '127.0.0.1:abc']),
      sluice(['groups', 'list', '--zookeeper', '127.0.0.1:70000']),
      sluice(['consume', 'lines', '--zookeeper', 'http://127.0.0.1:2181']),
    ]);
    for (const result of results)
      expectOneLineError(
        result,
        /^error: option '--zookeeper <host:port\[\/chroot\]>' argument .* is invalid/,
      );
  });

  it('says a ZooKeeper chroot holds no cluster instead of a raw NONODE', async () => {
    expectOneLineError(
      await sluice(['topics', 'list', '--zookeeper', `${zk}/no-such-chroot`]),
      /^sluice topics list: no broker available: ZooKeeper .*\/no-such-chroot holds no cluster/,
    );
  });
});
