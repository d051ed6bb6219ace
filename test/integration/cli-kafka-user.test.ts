import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { projectRoot, runToEnd } from '../support/processes.js';

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

async function produceLines(topic: string, count: number, line = (i: number) => `record-${i}`) {
  const file = join(dir, `${topic}.txt`);
  await writeFile(file, Array.from({ length: count }, (_, i) => line(i)).join('\n') + '\n');
  const run = await sluice(`produce ${topic} --zookeeper ${zookeeper} --file ${file} --acks all`);
  expect(run.code, run.stderr).toBe(0);
}

describe('item 1: consume commits only what its reader took', () => {
  beforeAll(async () => {
    await createTopic('fifty-k', 3);
    await produceLines('fifty-k', RECORDS);
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
