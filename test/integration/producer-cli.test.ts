import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { projectRoot, runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicVia } from '../support/producer-test-support.js';

/** `sluice produce` end to end: a million lines in, a million records out (counted by kcat). */
const LINES = 1_000_000;

let broker: SingleBroker;
let dir: string;
beforeAll(async () => {
  broker = await startSingleBroker();
  dir = await mkdtemp(join(tmpdir(), 'sluice-produce-cli-'));
});
afterAll(async () => {
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sluice(args: string[], input?: string) {
  return runToEnd(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    input,
    allowFailure: true,
    timeoutMs: 240_000,
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  });
}

async function kcatCount(topic: string): Promise<number> {
  const run = await runToEnd(
    'sh',
    ['-c', `kcat -C -b ${broker.bootstrap} -t ${topic} -e -q -f '%o\\n' | wc -l`],
    {
      timeoutMs: 240_000,
    },
  );
  return Number(run.stdout.trim());
}

describe('sluice produce', () => {
  it(`sends a ${LINES.toLocaleString('en-US')}-line file; kcat -C counts exactly that many`, async () => {
    await createTopicVia(broker.bootstrap, 'million', 3);
    const file = join(dir, 'lines.txt');
    const lines: string[] = [];
    for (let i = 0; i < LINES; i++) lines.push(`line-${i}-${'x'.repeat(i % 50)}`);
    await writeFile(file, lines.join('\n') + '\n');
    const run = await sluice([
      'produce',
      'million',
      '--bootstrap-server',
      broker.bootstrap,
      '--file',
      file,
      '--acks',
      '1',
      '--output',
      'json',
    ]);
    expect(run.stderr).toMatch(/1,000,000 records .* ack latency p50 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim()) as { records: number; acknowledged: number };
    expect(summary).toMatchObject({ records: LINES, acknowledged: LINES });
    expect(await kcatCount('million')).toBe(LINES);
  });

  it('parses keys and headers from stdin (ZooKeeper discovery), and keeps the line order per key', async () => {
    await createTopicVia(broker.bootstrap, 'keyed', 2);
    const input =
      ['a:1', 'b:2', 'a:3', 'c:4:with:colons'].map((l, i) => `n:${i},src:cli\t${l}`).join('\n') + '\n';
    const run = await sluice(
      [
        'produce',
        'keyed',
        '--zookeeper',
        broker.zookeeper.connectionString,
        '--key-separator',
        ':',
        '--parse-headers',
        '--header',
        'static=yes',
      ],
      input,
    );
    expect(run.stderr).not.toMatch(/sluice produce:/);
    expect(run.code).toBe(0);
    const consumed = await runToEnd('kcat', [
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      'keyed',
      '-e',
      '-q',
      '-f',
      '%k=%s|%h\n',
    ]);
    const rows = consumed.stdout.trim().split('\n').sort();
    expect(rows).toEqual([
      'a=1|static=yes,n=0,src=cli',
      'a=3|static=yes,n=2,src=cli',
      'b=2|static=yes,n=1,src=cli',
      'c=4:with:colons|static=yes,n=3,src=cli',
    ]);
  });

  it('creates a missing topic as the broker allows; fails in one line for an unreachable cluster and a bad line', async () => {
    // A missing topic follows the broker's auto.create.topics.enable (true here): created, and said so.
    const missing = await sluice(['produce', 'no-such-topic', '--bootstrap-server', broker.bootstrap], 'x\n');
    expect(missing.code).toBe(0);
    expect(missing.stderr).toMatch(
      /^sluice produce: created topic no-such-topic \(brokers' auto\.create\.topics\.enable=true\): 1 partition\(s\), replication factor 1$/m,
    );

    const port = await freePort();
    const unreachable = await sluice(['produce', 'keyed', '--bootstrap-server', `127.0.0.1:${port}`], 'x\n');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/^sluice produce: no broker available/);

    const noSeparator = await sluice(
      ['produce', 'keyed', '--bootstrap-server', broker.bootstrap, '--key-separator', ':'],
      'novalue\n',
    );
    expect(noSeparator.code).toBe(1);
    expect(noSeparator.stderr.trim()).toBe('sluice produce: line 1: no key separator found');
  });

  it('shows a progress bar with records/s when reading a file on a terminal', async () => {
    await createTopicVia(broker.bootstrap, 'progress', 1);
    const file = join(dir, 'progress.txt');
    await writeFile(file, Array.from({ length: 200_000 }, (_, i) => `p${i}`).join('\n') + '\n');
    const cli = [process.execPath, '--import', 'tsx', join(projectRoot, 'cli', 'main.ts')].join(' ');
    // `script` gives the command a pseudo-terminal, so stderr is a TTY as in an interactive shell.
    const run = await runToEnd(
      'script',
      ['-qec', `${cli} produce progress --bootstrap-server ${broker.bootstrap} --file ${file}`, '/dev/null'],
      {
        timeoutMs: 120_000,
        env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
      },
    );
    expect(run.stdout).toMatch(/producing \|.*\| 100% \| 200000 records \| \d+ records\/s/);
    expect(run.stdout).toMatch(/200,000 records/);
    expect(await kcatCount('progress')).toBe(200_000);
  });
});
