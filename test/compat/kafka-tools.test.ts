import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheDir,
  fields,
  javaMissing,
  jvmOptions,
  kafkaClasspath,
  KafkaTool,
  kafkaToolsDir,
  KAFKA_VERSION,
  startToolDriver,
  type ToolDriver,
  type ToolResult,
} from '../support/kafka-tools.js';
import { runToEnd, startProcess } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';

/**
 * Apache Kafka's own tools, its Java client and franz-go against a sluice broker: every command a
 * Kafka user reaches for first, with what it must print. (kafka-differential.test.ts compares the
 * same tools' output with a real Kafka broker's.)
 */
const missing = javaMissing();
if (missing) console.warn(missing);

const goMissing =
  spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0 && !existsSync('/usr/local/go/bin/go');

describe.skipIf(missing !== null)(`Apache Kafka ${KAFKA_VERSION} tools and clients against sluice`, () => {
  let classpath: string;
  let driver: ToolDriver;
  let broker: SingleBroker;
  const bs = () => ['--bootstrap-server', broker.bootstrap];
  const topics = (...args: string[]) => driver.run(KafkaTool.topics, [...bs(), ...args]);
  const groups = (...args: string[]) => driver.run(KafkaTool.consumerGroups, [...bs(), ...args]);
  const configs = (...args: string[]) => driver.run(KafkaTool.configs, [...bs(), ...args]);
  const produce = (topic: string, stdin: string, ...args: string[]) =>
    driver.run(KafkaTool.consoleProducer, [...bs(), '--topic', topic, ...args], { stdin });
  /** The console consumer in `group`, from the beginning, until it has read `count` records. */
  const consume = (topic: string, group: string, count: number, ...args: string[]) =>
    driver.run(KafkaTool.consoleConsumer, [
      ...bs(),
      ...['--topic', topic, '--group', group, '--from-beginning', '--max-messages', String(count)],
      ...['--timeout-ms', '30000', ...args],
    ]);
  const ok = (result: ToolResult) => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    classpath = await kafkaClasspath();
    [driver, broker] = await Promise.all([
      startToolDriver(classpath),
      startSingleBroker({ overrides: { 'group.initial.rebalance.delay.ms': '0' } }),
    ]);
  }, 600_000);

  afterAll(async () => {
    await Promise.allSettled([driver?.close(), broker?.close()]);
  });

  it('kafka-broker-api-versions: every API sluice serves is usable by the 4.x client (KIP-896 floors)', async () => {
    // Kafka 4.0 dropped old protocol versions from its clients (KIP-896); an advertised range below
    // the client's floor shows as "unusable", one the client lacks as "UNSUPPORTED".
    const { stdout } = ok(await driver.run(KafkaTool.brokerApiVersions, bs()));
    const ranges = new Map(
      [...stdout.matchAll(/^\s*(\w+)\(\d+\): (.*?),?$/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    expect([...ranges].filter(([, range]) => range.includes('unusable'))).toEqual([]);
    const needed = [
      'Produce',
      'Fetch',
      'ListOffsets',
      'Metadata',
      'OffsetCommit',
      'OffsetFetch',
      'FindCoordinator',
      'JoinGroup',
      'Heartbeat',
      'LeaveGroup',
      'SyncGroup',
      'DescribeGroups',
      'ListGroups',
      'ApiVersions',
      'CreateTopics',
      'DeleteTopics',
      'InitProducerId',
      'OffsetForLeaderEpoch',
      'DescribeConfigs',
      'DeleteGroups',
    ];
    expect(needed.filter((api) => !/\[usable: \d+\]/.test(ranges.get(api) ?? ''))).toEqual([]);
  });

  it('kafka-topics: create, list, describe, delete', async () => {
    expect(ok(await topics('--create', '--topic', 'kt-topics', '--partitions', '4')).stdout).toContain(
      'Created topic kt-topics.',
    );
    expect(ok(await topics('--list')).stdout.split('\n')).toContain('kt-topics');
    const described = fields(ok(await topics('--describe', '--topic', 'kt-topics')).stdout);
    expect(described[0]).toEqual(expect.arrayContaining(['PartitionCount:', '4', 'ReplicationFactor:', '1']));
    expect(described.slice(1).map((line) => line.slice(0, 6))).toEqual(
      [0, 1, 2, 3].map((p) => ['Topic:', 'kt-topics', 'Partition:', String(p), 'Leader:', '1']),
    );
    const existing = await topics('--create', '--topic', 'kt-topics', '--partitions', '4');
    expect(existing.code).toBe(1);
    expect(existing.stdout).toContain("Topic 'kt-topics' already exists.");

    ok(await topics('--delete', '--topic', 'kt-topics'));
    expect(ok(await topics('--list')).stdout.split('\n')).not.toContain('kt-topics');
  });

  it('kafka-console-producer and kafka-console-consumer in a group', async () => {
    ok(await topics('--create', '--topic', 'kt-console', '--partitions', '2'));
    const lines = Array.from({ length: 20 }, (_, i) => `key${i}:value ${i}`);
    const keyed = ['parse.key=true', 'key.separator=:'].flatMap((p) => ['--reader-property', p]);
    ok(await produce('kt-console', lines.join('\n') + '\n', ...keyed));
    const printKeys = ['print.key=true', 'key.separator=:'].flatMap((p) => ['--formatter-property', p]);
    const consumed = ok(await consume('kt-console', 'kt-console-g', 20, ...printKeys));
    expect(consumed.stdout.trim().split('\n').sort()).toEqual([...lines].sort());
    expect(consumed.stderr).toContain('Processed a total of 20 messages');

    // The group committed what it read: nothing left to lag.
    const offsets = fields(ok(await groups('--describe', '--group', 'kt-console-g', '--offsets')).stdout);
    const rows = offsets.filter((row) => row[0] === 'kt-console-g');
    expect(rows).toHaveLength(2);
    expect(rows.reduce((sum, row) => sum + Number(row[3]), 0)).toBe(20);
    expect(rows.map((row) => row[5])).toEqual(['0', '0']);
  });

  it('the Java client: an idempotent acks=all producer and a consumer group, described while live', async () => {
    ok(await topics('--create', '--topic', 'kt-java', '--partitions', '3'));
    const program = startProcess(
      'java',
      [
        ...jvmOptions,
        '-cp',
        classpath,
        join(kafkaToolsDir, 'ClientCheck.java'),
        broker.bootstrap,
        'kt-java',
        'kt-java-g',
        '300',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    try {
      await program.waitForOutput('member ready', 120_000);
      const out = program.stdout();
      const produced = [...out.matchAll(/^produced (\d+):(\d+)$/gm)].map((m) => Number(m[2]));
      expect(produced.reduce((a, b) => a + b, 0)).toBe(300);
      expect(out).toContain('consumed 300 mismatched 0');
      const committed = [...out.matchAll(/^committed (\d+):(\d+)$/gm)].map((m) => Number(m[2]));
      expect(committed.reduce((a, b) => a + b, 0)).toBe(300);

      const members = fields(ok(await groups('--describe', '--group', 'kt-java-g', '--members')).stdout);
      expect(members[0]).toEqual(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS']);
      expect(members.slice(1)).toEqual([
        [
          'kt-java-g',
          expect.stringMatching(/^client-check-consumer-/),
          '/127.0.0.1',
          'client-check-consumer',
          '3',
        ],
      ]);
      const state = fields(ok(await groups('--describe', '--group', 'kt-java-g', '--state')).stdout);
      expect(state[1]).toEqual(['kt-java-g', broker.bootstrap, '(1)', 'range', 'Stable', '1']);
      const offsets = fields(ok(await groups('--describe', '--group', 'kt-java-g', '--offsets')).stdout);
      expect(offsets.filter((row) => row[0] === 'kt-java-g').map((row) => row[5])).toEqual(['0', '0', '0']);

      program.child.stdin!.end('leave\n');
      expect(await program.exited).toBe(0);
      expect(program.stdout()).toContain('closed');
    } finally {
      await program.kill('SIGKILL');
    }
  });

  it('kafka-consumer-groups: list, reset-offsets, delete', async () => {
    ok(await topics('--create', '--topic', 'kt-groups', '--partitions', '2'));
    ok(await produce('kt-groups', 'a\nb\nc\nd\n'));
    ok(await consume('kt-groups', 'kt-groups-g', 4));
    expect(ok(await groups('--list')).stdout.split('\n')).toContain('kt-groups-g');
    const reset = (topic: string, mode: string) =>
      groups('--reset-offsets', '--group', 'kt-groups-g', '--topic', topic, '--to-earliest', mode);
    const dryRun = fields(ok(await reset('kt-groups', '--dry-run')).stdout);
    expect(dryRun[0]).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']);
    // A dry run changes nothing: both partitions still fully consumed.
    const before = fields(ok(await groups('--describe', '--group', 'kt-groups-g', '--offsets')).stdout);
    expect(before.filter((row) => row[0] === 'kt-groups-g').map((row) => row[5])).toEqual(['0', '0']);
    ok(await reset('kt-groups:0', '--execute'));
    const after = fields(ok(await groups('--describe', '--group', 'kt-groups-g', '--offsets')).stdout).filter(
      (row) => row[0] === 'kt-groups-g',
    );
    // Partition 0 rewound to 0 (lag = its end offset); partition 1 untouched (no lag).
    expect(after.map((row) => [row[2], row[3], row[5]])).toEqual([
      ['0', '0', after[0]![4]],
      ['1', after[1]![4], '0'],
    ]);

    expect(ok(await groups('--delete', '--group', 'kt-groups-g')).stdout).toContain(
      "Deletion of requested consumer groups ('kt-groups-g') was successful.",
    );
    expect(ok(await groups('--list')).stdout.split('\n')).not.toContain('kt-groups-g');
    const gone = await groups('--describe', '--group', 'kt-groups-g', '--state');
    // Kafka 4.x says "not found" (DescribeGroups v6); before v6 the tool says "does not exist".
    expect(gone.stdout + gone.stderr).toMatch(/does not exist|not found/);
  });

  // Passes once the groups-edges branch (OffsetDelete, API 47) is merged; sluice answers
  // UNSUPPORTED_VERSION before that (see docs/compatibility.md).
  it('kafka-consumer-groups --delete-offsets removes an empty group’s committed offsets', async () => {
    ok(await topics('--create', '--topic', 'kt-deloff', '--partitions', '1'));
    ok(await produce('kt-deloff', 'x\ny\n'));
    ok(await consume('kt-deloff', 'kt-deloff-g', 2));
    const deleted = ok(await groups('--delete-offsets', '--group', 'kt-deloff-g', '--topic', 'kt-deloff'));
    expect(fields(deleted.stdout)).toContainEqual(['kt-deloff', '0', 'Successful']);
    const offsets = fields(ok(await groups('--describe', '--group', 'kt-deloff-g', '--offsets')).stdout);
    expect(offsets.filter((row) => row[0] === 'kt-deloff-g')).toEqual([]);
  });

  it('kafka-configs --describe: a topic’s and a broker’s configs', async () => {
    ok(
      await topics(
        '--create',
        '--topic',
        'kt-configs',
        '--partitions',
        '1',
        '--config',
        'retention.ms=123456',
      ),
    );
    const dynamic = ok(await configs('--describe', '--entity-type', 'topics', '--entity-name', 'kt-configs'));
    expect(dynamic.stdout).toContain('Dynamic configs for topic kt-configs are:');
    expect(dynamic.stdout).toContain(
      'retention.ms=123456 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=123456',
    );
    const all = ok(
      await configs('--describe', '--all', '--entity-type', 'topics', '--entity-name', 'kt-configs'),
    );
    expect(all.stdout).toMatch(/^\s*cleanup\.policy=delete sensitive=false/m);
    const brokerConfigs = ok(await configs('--describe', '--entity-type', 'brokers', '--entity-name', '1'));
    expect(brokerConfigs.stdout).toContain('Dynamic configs for broker 1 are:');
  });

  it.skipIf(goMissing)('franz-go (kgo + kadm): create, produce, consume in a group, describe', async () => {
    const program = join(cacheDir, 'franz-go-check');
    if (!existsSync(program))
      await runToEnd(join(kafkaToolsDir, 'fetch-deps.sh'), [], { timeoutMs: 600_000 });
    const { stdout } = await runToEnd(program, [broker.bootstrap, 'kt-franz', 'kt-franz-g', '200']);
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'created kt-franz',
        'produced 200',
        'consumed 200 mismatched 0',
        'group kt-franz-g state Stable protocol cooperative-sticky members 1',
        'topic kt-franz partitions 3',
        'listed group kt-franz-g state Empty',
      ]),
    );
    const offsets = lines
      .map((l) => /^offset kt-franz\/\d+ committed (\d+) end (\d+)$/.exec(l))
      .filter((m) => m !== null);
    expect(offsets).toHaveLength(3);
    expect(offsets.every((m) => m[1] === m[2])).toBe(true);
    expect(offsets.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(200);
  });
});
