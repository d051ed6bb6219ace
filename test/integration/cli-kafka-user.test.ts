import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { projectRoot, runToEnd, startSluice } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { readPartitionBatches } from '../support/producer-test-support.js';

/**
 * The `sluice` commands as a Kafka user types them (issue 15), each through the real CLI process
 * against a 3-broker cluster of `sluice broker` processes.
 */
const CLI = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(projectRoot, 'cli', 'main.ts'))}`;
const RECORDS = 50_000;

let cluster: ProcessCluster;
let dir: string;
let zookeeper: string;

beforeAll(async () => {
  cluster = await startProcessCluster({
    brokers: 3,
    overrides: { 'default.replication.factor': '3', 'min.insync.replicas': '2', 'num.partitions': '3' },
  });
  zookeeper = cluster.zk.connectionString;
  dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-user-'));
}, 120_000);
afterAll(async () => {
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `sluice ARGS` through a shell (so `| head -3` is a real pipe); returns output and elapsed ms. */
async function shell(command: string, input?: string) {
  const started = performance.now();
  const run = await runToEnd('sh', ['-c', command], {
    input,
    allowFailure: true,
    timeoutMs: 120_000,
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', VITEST: undefined },
  });
  return { ...run, ms: Math.round(performance.now() - started) };
}

function sluice(args: string, input?: string) {
  return shell(`${CLI} ${args}`, input);
}

async function committedSum(group: string, topic: string, partitions: number): Promise<bigint> {
  let sum = 0n;
  for (let partition = 0; partition < partitions; partition++)
    sum += (await cluster.state.readOffset(group, { topic, partition })) ?? 0n;
  return sum;
}

async function createTopic(topic: string, partitions: number, extra = ''): Promise<void> {
  const run = await sluice(
    `topics create ${topic} --partitions ${partitions} --zookeeper ${zookeeper} ${extra}`,
  );
  expect(run.stderr).toBe('');
  expect(run.stdout).toContain(`Created topic ${topic}.`);
}

async function produceLines(topic: string, count: number, line = (i: number) => `record-${i}`, flags = '') {
  const file = join(dir, `${topic}.txt`);
  await writeFile(file, Array.from({ length: count }, (_, i) => line(i)).join('\n') + '\n');
  const run = await sluice(`produce ${topic} --zookeeper ${zookeeper} --file ${file} --acks all ${flags}`);
  expect(run.code, run.stderr).toBe(0);
}

describe('item 1: consume commits only what its reader took', () => {
  beforeAll(async () => {
    await createTopic('fifty-k', 3);
    // Keyed, so every partition holds records (unkeyed, the sticky partitioner may fill only some of
    // them, and the reset expectations below count on each partition having at least 10).
    await produceLines('fifty-k', RECORDS, (i) => `k${i}:record-${i}`, '--key-separator :');
  }, 120_000);

  it(`\`consume --group g | head -3\` on ${RECORDS.toLocaleString('en-US')} records commits 3`, async () => {
    const run = await shell(
      `${CLI} consume fifty-k --group heads --from-beginning --zookeeper ${zookeeper} | head -3`,
    );
    console.log(`| head -3: ${run.ms} ms; stderr: ${run.stderr.trim()}`);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(3);
    expect(run.stderr).toContain('processed a total of 3 messages');
    expect(await committedSum('heads', 'fifty-k', 3)).toBe(3n);
  });

  it('`consume --max-messages 7` commits 7 and says so in its summary', async () => {
    const run = await sluice(
      `consume fifty-k --group seven --from-beginning --max-messages 7 --zookeeper ${zookeeper}`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(7);
    expect(run.stderr).toMatch(/7 records, \d+ bytes in [\d.]+ s \(\d+ records\/s\); last offsets \d+:\d+/);
    expect(await committedSum('seven', 'fifty-k', 3)).toBe(7n);
  });
});

interface DescribedPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

async function describeJson(topic: string): Promise<{ partitions: DescribedPartition[] }> {
  const run = await sluice(`topics describe ${topic} --zookeeper ${zookeeper} --output json`);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as Array<{ partitions: DescribedPartition[] }>)[0]!;
}

describe('item 6: consume flags', () => {
  beforeAll(async () => {
    await createTopic('flags', 3);
    // parse.key + key.separator: keys k0..k29, so each partition has records.
    const input = Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
    const run = await sluice(
      `produce --topic flags --zookeeper ${zookeeper} --property parse.key=true --property key.separator=:`,
      input,
    );
    expect(run.code, run.stderr).toBe(0);
  }, 60_000);

  it('--property print.key/print.timestamp/print.partition/print.offset/key.separator (and produce parse.key)', async () => {
    const run = await sluice(
      `consume flags --from-beginning --max-messages 30 --zookeeper ${zookeeper} ` +
        '--property print.key=true --property print.timestamp=true --property print.partition=true ' +
        '--property print.offset=true --property key.separator=:',
    );
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(30);
    for (const line of lines)
      expect(line).toMatch(/^CreateTime:\d{13}\tPartition:[0-2]\tOffset:\d+\tk(\d+):v\1$/);
    expect(new Set(lines.map((l) => /k\d+/.exec(l)![0])).size).toBe(30);
  });

  it('--partition P --offset N|earliest|latest reads one partition without a group', async () => {
    const partition1 = (await describeJson('flags')).partitions.find((p) => p.partition === 1)!;
    expect(partition1).toBeDefined();
    const all = await sluice(
      `consume flags --partition 1 --offset earliest --timeout-ms 3000 --zookeeper ${zookeeper} --property print.offset=true`,
    );
    expect(all.code, all.stderr).toBe(0);
    const offsets = all.stdout
      .trim()
      .split('\n')
      .map((l) => /Offset:(\d+)/.exec(l)![1]);
    expect(offsets.length).toBeGreaterThan(2);
    expect(offsets).toEqual(offsets.map((_, i) => String(i)));
    expect(all.stdout).not.toMatch(/Partition:[02]/);

    const fromTwo = await sluice(
      `consume flags --partition 1 --offset 2 --max-messages 2 --zookeeper ${zookeeper} --property print.offset=true`,
    );
    expect(fromTwo.code, fromTwo.stderr).toBe(0);
    expect(
      fromTwo.stdout
        .trim()
        .split('\n')
        .map((l) => /Offset:(\d+)/.exec(l)![1]),
    ).toEqual(['2', '3']);

    const latest = await sluice(
      `consume flags --partition 1 --offset latest --timeout-ms 1500 --zookeeper ${zookeeper}`,
    );
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stdout).toBe('');
    expect(latest.stderr).toContain('processed a total of 0 messages');

    const noPartition = await sluice(`consume flags --offset 3 --zookeeper ${zookeeper}`);
    expect(noPartition.code).toBe(1);
    expect(noPartition.stderr).toMatch(/--offset needs --partition/);
  });

  it('--formatter json, --timeout-ms and --max-messages', async () => {
    const run = await sluice(
      `consume flags --group json-reader --from-beginning --formatter json --timeout-ms 2000 --zookeeper ${zookeeper}`,
    );
    expect(run.code, run.stderr).toBe(0);
    const records = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: string; partition: number; offset: number });
    expect(records).toHaveLength(30);
    expect(records.every((r) => r.value === r.key.replace('k', 'v'))).toBe(true);
    expect(run.stderr).toMatch(/no record for 2000 ms; stopping/);
    expect(await committedSum('json-reader', 'flags', 3)).toBe(30n);
  });

  it('--help lists the Kafka flags with examples', async () => {
    const expected: Record<string, string> = {
      consume:
        '--partition --offset --from-beginning --max-messages --timeout-ms --property --formatter Examples:',
      produce: '--property --compression-codec --request-required-acks Examples:',
      'topics create': 'Examples:',
      'topics describe':
        '--under-replicated-partitions --unavailable-partitions --under-min-isr-partitions --at-min-isr-partitions --topics-with-overrides Examples:',
      'groups reset-offsets':
        '--to-earliest --to-latest --to-offset --shift-by --to-datetime --by-duration --from-file --dry-run --execute --export Examples:',
    };
    for (const [command, flags] of Object.entries(expected)) {
      const help = await sluice(`${command} --help`);
      for (const flag of flags.split(' ')) expect(help.stdout, `${command} --help`).toContain(flag);
    }
  });
});

describe('item 6: produce flags', () => {
  it('--compression-codec lz4 writes lz4 batches; --compression-codec alone means gzip; a bad codec is refused', async () => {
    await createTopic('codec', 1);
    const leader = (await describeJson('codec')).partitions[0]!.leader;
    const address = cluster.bootstrap([leader])[0]!;
    for (const [flag, codec] of [
      ['--compression-codec lz4', 3],
      ['--compression-codec', 1],
    ] as const) {
      const run = await sluice(`produce codec --zookeeper ${zookeeper} ${flag}`, 'a\nb\nc\n');
      expect(run.code, run.stderr).toBe(0);
      const batches = await readPartitionBatches(address, 'codec', 0);
      expect(batches.at(-1)!.header.attributes & 0x7).toBe(codec);
    }
    const bad = await sluice(`produce codec --zookeeper ${zookeeper} --compression-codec brotli`, 'a\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown compression "brotli"/);
  });

  it('--request-required-acks 1 succeeds where -1 (all) cannot: ISR 1 below min.insync.replicas 2', async () => {
    await createTopic('short-isr', 1, '--replication-factor 1 --config min.insync.replicas=2');
    const one = await sluice(`produce short-isr --zookeeper ${zookeeper} --request-required-acks 1`, 'x\n');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/^1 record /);
    const bad = await sluice(`produce short-isr --zookeeper ${zookeeper} --request-required-acks 2`, 'x\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/acks must be 0, 1, -1 or all/);
  });
});

describe('item 7: fail fast and say why', () => {
  it('ZooKeeper refused: every client command names host:port within 2 s', async () => {
    const port = await freePort();
    for (const command of ['topics list', 'produce t', 'consume t', 'groups list']) {
      const run = await sluice(`${command} --zookeeper 127.0.0.1:${port}`, 'x\n');
      console.log(`${command} with ZooKeeper refused: ${run.ms} ms`);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toMatch(
        new RegExp(`cannot reach ZooKeeper: 127\\.0\\.0\\.1:${port} refused the connection`),
      );
      // "within 2 s" asserted loosely: a loaded machine starts node + tsx slowly.
      expect(run.ms).toBeLessThan(5_000);
    }
  });

  it('produce --acks all with ISR below min.insync.replicas prints NOT_ENOUGH_REPLICAS at the first retry', async () => {
    const producing = startSluice(['produce', 'short-isr', '--zookeeper', zookeeper, '--acks', 'all'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      const started = performance.now();
      producing.child.stdin!.write('y\n');
      await producing.waitForOutput(/NOT_ENOUGH_REPLICAS/, 10_000);
      const ms = Math.round(performance.now() - started);
      console.log(`NOT_ENOUGH_REPLICAS shown after ${ms} ms`);
      expect(producing.stderr()).toMatch(
        /retrying short-isr-0 \(attempt 1\): .*ISR has 1 replica\(s\), min\.insync\.replicas is 2 \(NOT_ENOUGH_REPLICAS, error 19\)/,
      );
      expect(ms).toBeLessThan(5_000);
    } finally {
      await producing.kill('SIGKILL');
    }
  });

  it('produce to a missing topic: auto-created (and said so) when the brokers allow it', async () => {
    const run = await sluice(`produce fresh-topic --zookeeper ${zookeeper}`, 'one\ntwo\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /^sluice produce: created topic fresh-topic \(brokers' auto\.create\.topics\.enable=true\): 3 partition\(s\), replication factor 3$/m,
    );
    const read = await sluice(
      `consume fresh-topic --from-beginning --max-messages 2 --zookeeper ${zookeeper}`,
    );
    expect(read.stdout.trim().split('\n').sort()).toEqual(['one', 'two']);
    const again = await sluice(`produce fresh-topic --zookeeper ${zookeeper}`, 'three\n');
    expect(again.stderr).not.toContain('created topic');
  });

  it('produce to a missing topic: one line naming auto.create.topics.enable=false when they do not', async () => {
    const strict = await startProcessCluster({
      brokers: 1,
      overrides: { 'auto.create.topics.enable': 'false' },
    });
    try {
      const run = await sluice(`produce nowhere --zookeeper ${strict.zk.connectionString}`, 'x\n');
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        'sluice produce: topic "nowhere" does not exist and the brokers do not create topics on first use (auto.create.topics.enable=false): sluice topics create nowhere',
      );
    } finally {
      await strict.close();
    }
  });
});

describe('item 3: Ctrl-C shows the real count', () => {
  it('produce: Ctrl-C mid-input prints what was sent and the last offsets, not a full count', async () => {
    await createTopic('interrupted', 1);
    const producing = startSluice(['produce', 'interrupted', '--zookeeper', zookeeper], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    producing.child.stdin!.write(Array.from({ length: 5 }, (_, i) => `line-${i}`).join('\n') + '\n');
    // Sent and acknowledged before the interrupt: the consumer sees them.
    await waitFor(
      async () =>
        (await sluice(`topics describe interrupted --zookeeper ${zookeeper} --output json`)).stdout.includes(
          '"logEndOffset":5',
        ),
      { timeoutMs: 30_000, what: '5 records in the log' },
    );
    producing.child.kill('SIGINT');
    expect(await producing.exited).toBe(0);
    expect(producing.stderr()).toMatch(
      /^5 records \(0\.0 MB\) to interrupted in [\d.]+ s: .*; last offsets 0:4 \(input ended by Ctrl-C\)$/m,
    );
  });

  it('consume: Ctrl-C prints the records written, their rate and last offsets; the group commits that many', async () => {
    const consuming = startSluice(
      ['consume', 'fifty-k', '--group', 'ctrl-c', '--from-beginning', '--zookeeper', zookeeper],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitFor(() => consuming.stdout().split('\n').length > 100, {
      timeoutMs: 30_000,
      what: 'records on stdout',
    });
    consuming.child.kill('SIGINT');
    expect(await consuming.exited).toBe(0);
    const printed = consuming.stdout().trim().split('\n').length;
    const summary =
      /(\d+) records, (\d+) bytes in [\d.]+ s \(\d+ records\/s\); last offsets ((?:\d:\d+ ?)+)/.exec(
        consuming.stderr(),
      );
    expect(summary, consuming.stderr()).not.toBeNull();
    expect(Number(summary![1])).toBe(printed);
    expect(Number(summary![2])).toBe(Buffer.byteLength(consuming.stdout()));
    expect(await committedSum('ctrl-c', 'fifty-k', 3)).toBe(BigInt(printed));
  });
});

describe('item 6: topics and groups flags', () => {
  it('topics describe --topics-with-overrides, --under-min-isr-partitions, --at-min-isr-partitions', async () => {
    await createTopic('two-copies', 1, '--replication-factor 2');
    const overrides = await sluice(`topics describe --topics-with-overrides --zookeeper ${zookeeper}`);
    expect(overrides.code, overrides.stderr).toBe(0);
    expect(overrides.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Topic: short-isr\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: min\.insync\.replicas=2$/,
      ),
    ]);
    const underMin = await sluice(`topics describe --under-min-isr-partitions --zookeeper ${zookeeper}`);
    expect(underMin.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^\tTopic: short-isr\tPartition: 0\t/),
    ]);
    const atMin = await sluice(`topics describe --at-min-isr-partitions --zookeeper ${zookeeper}`);
    expect(atMin.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^\tTopic: two-copies\tPartition: 0\t/),
    ]);
  });

  it('topics describe --under-replicated-partitions and --unavailable-partitions after a broker stops', async () => {
    await createTopic('single', 1, '--replication-factor 1');
    const before = await sluice(
      `topics describe --under-replicated-partitions --unavailable-partitions --zookeeper ${zookeeper}`,
    );
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toBe('');
    const victim = (await describeJson('single')).partitions[0]!.leader;
    await cluster.brokers.get(victim)!.kill('SIGTERM');
    cluster.brokers.delete(victim);
    await waitFor(
      async () =>
        (await sluice(`topics describe --unavailable-partitions --zookeeper ${zookeeper}`)).stdout.includes(
          'Topic: single',
        ),
      { timeoutMs: 60_000, what: 'single-0 to be unavailable' },
    );
    await waitFor(
      async () =>
        (
          await sluice(`topics describe fifty-k --under-replicated-partitions --zookeeper ${zookeeper}`)
        ).stdout.includes('Topic: fifty-k'),
      { timeoutMs: 60_000, what: 'fifty-k to be under-replicated' },
    );
    // Every partition whose only replica was on the stopped broker, and nothing else.
    const unavailable = await sluice(`topics describe --unavailable-partitions --zookeeper ${zookeeper}`);
    const lines = unavailable.stdout.trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^\tTopic: single\tPartition: 0\tLeader: none\t/));
    for (const line of lines)
      expect(line).toMatch(
        new RegExp(`^\tTopic: \\S+\tPartition: \\d+\tLeader: none\tReplicas: ${victim}\t`),
      );
  }, 150_000);

  it('groups reset-offsets --to-earliest|--to-latest|--to-offset|--shift-by|--to-datetime|--by-duration, --dry-run|--execute, --export|--from-file', async () => {
    // `seven` committed 7 records of fifty-k (item 1) and has no live members.
    const reset = async (flags: string) => {
      const run = await sluice(`groups reset-offsets seven --zookeeper ${zookeeper} ${flags}`);
      expect(run.code, run.stderr).toBe(0);
      return run;
    };
    const total = () => committedSum('seven', 'fifty-k', 3);
    const dry = await reset('--topic fifty-k --to-earliest --dry-run');
    expect(dry.stderr).toContain('dry run: nothing written');
    expect(await total()).toBe(7n);
    await reset('--topic fifty-k --to-earliest --execute');
    expect(await total()).toBe(0n);
    await reset('--topic fifty-k --to-latest --execute');
    expect(await total()).toBe(BigInt(RECORDS));
    await reset('--topic fifty-k --to-offset 10 --execute');
    expect(await total()).toBe(30n);
    await reset('--topic fifty-k --shift-by -4 --execute');
    expect(await total()).toBe(18n);
    await reset('--topic fifty-k --to-datetime 2000-01-01T00:00:00Z --execute');
    expect(await total()).toBe(0n);
    await reset('--topic fifty-k --by-duration PT0S --execute'); // nothing at or after now: the end
    expect(await total()).toBe(BigInt(RECORDS));
    await reset('--topic fifty-k --by-duration P1D --execute'); // everything is younger than a day
    expect(await total()).toBe(0n);
    const exported = await reset('--topic fifty-k --to-offset 5 --export');
    expect(exported.stdout.trim().split('\n')).toEqual(['fifty-k,0,5', 'fifty-k,1,5', 'fifty-k,2,5']);
    expect(await total()).toBe(0n); // --export alone is a dry run
    const file = join(dir, 'plan.csv');
    await writeFile(file, 'fifty-k,0,5\nfifty-k,2,9\n');
    await reset(`--from-file ${file} --execute`);
    expect(await cluster.state.readOffset('seven', { topic: 'fifty-k', partition: 0 })).toBe(5n);
    expect(await cluster.state.readOffset('seven', { topic: 'fifty-k', partition: 1 })).toBe(0n);
    expect(await cluster.state.readOffset('seven', { topic: 'fifty-k', partition: 2 })).toBe(9n);
  });
});
