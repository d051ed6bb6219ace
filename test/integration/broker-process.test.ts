import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { projectRoot, runToEnd, startSluice, type RunningProcess } from '../support/processes.js';

describe('sluice broker as a real process', () => {
  let zk: EmbeddedZooKeeper;
  let dataDir: string;
  const running: RunningProcess[] = [];

  const brokerArgs = (id: number, extra: string[] = []) => [
    'broker',
    '--override',
    `broker.id=${id}`,
    '--override',
    `zookeeper.connect=${zk.connectionString}`,
    '--override',
    'listeners=PLAINTEXT://127.0.0.1:0',
    '--override',
    `log.dirs=${join(dataDir, `broker-${id}`)}`,
    ...extra,
  ];

  async function startBrokerProcess(id: number): Promise<{ process: RunningProcess; port: number }> {
    const process = startSluice(brokerArgs(id));
    running.push(process);
    const output = await process.waitForOutput(
      new RegExp(`sluice broker ${id} listening on 127\\.0\\.0\\.1:\\d+`),
    );
    const port = Number(
      new RegExp(`sluice broker ${id} listening on 127\\.0\\.0\\.1:(\\d+)`).exec(output)![1],
    );
    return { process, port };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-broker-process-'));
    zk = await startZooKeeperServer({ port: 0 });
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.kill('SIGKILL')));
    await zk?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves kcat (-L, produce, consume), refuses a duplicate id, and shuts down cleanly on SIGTERM', async () => {
    const { process: broker, port } = await startBrokerProcess(5);
    const bootstrap = `127.0.0.1:${port}`;

    const produced = await runToEnd('kcat', ['-b', bootstrap, '-P', '-t', 'smoke', '-K', ':'], {
      input: 'k1:v1\nk2:v2\nk3:v3\n',
      timeoutMs: 30_000,
    });
    expect(produced.code).toBe(0);
    const listing = await runToEnd('kcat', ['-b', bootstrap, '-L'], { timeoutMs: 30_000 });
    expect(listing.stdout).toContain(`broker 5 at 127.0.0.1:${port}`);
    expect(listing.stdout).toMatch(
      /topic "smoke" with 1 partitions:\s+partition 0, leader 5, replicas: 5, isrs: 5/,
    );
    const consumed = await runToEnd(
      'kcat',
      ['-b', bootstrap, '-C', '-t', 'smoke', '-o', 'beginning', '-e', '-f', '%k=%s\\n'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(consumed.stdout.trim().split('\n')).toEqual(['k1=v1', 'k2=v2', 'k3=v3']);

    const duplicate = await runToEnd(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...brokerArgs(5)],
      {
        allowFailure: true,
        timeoutMs: 60_000,
        env: { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: 'silent' },
      },
    );
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr.trim()).toMatch(/^sluice broker: broker\.id 5 is already registered/);
    expect(duplicate.stderr).not.toMatch(/\n\s+at /);

    expect(await broker.kill('SIGTERM')).toBe(0);
    expect(broker.stdout()).toContain('sluice broker 5 stopped');

    // The id is free again and the data survived the restart.
    const { port: again } = await startBrokerProcess(5);
    const reread = await runToEnd(
      'kcat',
      ['-b', `127.0.0.1:${again}`, '-C', '-t', 'smoke', '-o', 'beginning', '-e', '-f', '%s\\n'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(reread.stdout.trim().split('\n')).toEqual(['v1', 'v2', 'v3']);
  });

  it('a config error is one clear line and exit 1', async () => {
    const result = await runToEnd(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'cli', 'main.ts'),
        ...brokerArgs(6, ['--override', 'num.partitions=many']),
      ],
      { allowFailure: true, timeoutMs: 60_000, env: { ...process.env, VITEST: undefined } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'sluice broker: config error: num.partitions must be a whole number, got "many"',
    );
  });
});
