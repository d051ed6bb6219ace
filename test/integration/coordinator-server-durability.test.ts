import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startZooKeeperServer } from '../../coordinator/server/index.js';
import { freePort } from '../support/ports.js';
import { runToEnd, projectRoot, startSluice, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { RawZkClient } from '../support/raw-zk-client.js';

/**
 * Durability of the embedded ZooKeeper server: writes acknowledged to node-zookeeper-client survive
 * kill -9 of the `sluice coordinator` process; sessions come back after a restart and expire if their
 * clients do not; snapshots bound the log.
 */

type Client = zookeeper.Client;
type Callback<T> = (error: Error | zookeeper.Exception | null, value: T) => void;

function call<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

async function connected(connectionString: string): Promise<Client> {
  const client = zookeeper.createClient(connectionString, { sessionTimeout: 10_000, spinDelay: 50 });
  await new Promise<void>((resolve) => {
    client.once('connected', () => resolve());
    client.connect();
  });
  return client;
}

const getData = (client: Client, path: string) =>
  new Promise<Buffer>((resolve, reject) =>
    client.getData(path, (error, data) => (error ? reject(error) : resolve(data))),
  );

const dirs: string[] = [];
const processes: RunningProcess[] = [];
afterEach(async () => {
  for (const p of processes.splice(0)) await p.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-durability-'));
  dirs.push(dir);
  return dir;
}

async function startCoordinator(port: number, dataDir: string): Promise<RunningProcess> {
  const process = startSluice([
    'coordinator',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--tick-time',
    '250',
    // Small snapshots, so log rotations and snapshots happen during the burst that kill -9 interrupts.
    '--snapshot-bytes',
    '32768',
  ]);
  processes.push(process);
  await process.waitForOutput(`sluice coordinator listening on 127.0.0.1:${port}`);
  return process;
}

describe('embedded ZooKeeper durability', () => {
  it('keeps every acknowledged write across kill -9; restored sessions expire unless their client returns', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const first = await startCoordinator(port, dataDir);
    const connectionString = `127.0.0.1:${port}`;

    // A client that will die with the server and never come back: its ephemeral must go after restart.
    const { client: doomed, response } = await RawZkClient.session(port, { timeoutMs: 5000 });
    expect(response.timeOut).toBe(5000); // the most --tick-time 250 allows (20 ticks)
    expect((await doomed.create(1, '/doomed-ephemeral', 'x', 1)).header.err).toBe(0);
    // It stays alive by pinging (as any client does) until it dies with the server.
    const keepAlive = setInterval(() => doomed.send(-2, 11), 500);

    const writer = await connected(connectionString);
    await call<string>((cb) => writer.create('/burst', cb));
    const acked = new Map<string, string>();
    // A setData sent but not acknowledged may or may not have landed; either value is then correct.
    const unconfirmed = new Map<string, string>();
    let maxAckedZxid = 0n;
    let stop = false;
    let inFlight = 0;
    let next = 0;
    const target = 1500;
    await new Promise<void>((resolveBurst) => {
      const launch = () => {
        while (!stop && inFlight < 100) {
          const i = next++;
          const path = `/burst/n${i}`;
          inFlight++;
          writer.create(path, Buffer.from(`v${i}`), (error) => {
            inFlight--;
            if (error) return;
            acked.set(path, `v${i}`);
            if (i % 3 === 0 && !stop) {
              inFlight++;
              unconfirmed.set(path, `v${i}-changed`);
              writer.setData(path, Buffer.from(`v${i}-changed`), 0, (setError, stat) => {
                inFlight--;
                if (setError) return;
                acked.set(path, `v${i}-changed`);
                const zxid = stat.mzxid.readBigInt64BE();
                if (zxid > maxAckedZxid) maxAckedZxid = zxid;
              });
            }
            if (acked.size >= target && !stop) {
              // Kill in the middle of the burst: ~100 writes are still in flight.
              stop = true;
              first.child.kill('SIGKILL');
              resolveBurst();
            }
            launch();
          });
        }
      };
      launch();
    });
    await first.exited;
    writer.close();
    clearInterval(keepAlive);
    doomed.vanish();
    const ackedAtKill = new Map(acked); // later acks cannot happen, but freeze the set anyway
    expect(ackedAtKill.size).toBeGreaterThanOrEqual(target);
    // The burst crossed several snapshot/log rotations before the kill.
    expect((await readdir(dataDir)).some((f) => /^snapshot\.[0-9a-f]{16}$/.test(f))).toBe(true);

    const second = await startCoordinator(port, dataDir);
    const reader = await connected(connectionString);
    // Right after the restart the doomed session is back (its ephemeral too); it expires further down.
    const restored = await call<zookeeper.Stat | null>((cb) => reader.exists('/doomed-ephemeral', cb));
    expect(restored?.ephemeralOwner.readBigInt64BE()).toBe(response.sessionId);
    const children = new Set(
      await new Promise<string[]>((resolve, reject) =>
        reader.getChildren('/burst', (error, names) => (error ? reject(error) : resolve(names))),
      ),
    );
    const missing = [...ackedAtKill.keys()].filter((path) => !children.has(path.slice('/burst/'.length)));
    expect(missing).toEqual([]);
    const values = await Promise.all([...ackedAtKill.keys()].map((path) => getData(reader, path)));
    const wrong = [...ackedAtKill.entries()].filter(([path, value], index) => {
      const actual = values[index]!.toString();
      return actual !== value && actual !== unconfirmed.get(path);
    });
    expect(wrong).toEqual([]);

    // zxids keep growing across the restart.
    await call<string>((cb) => reader.create('/after-restart', cb));
    const after = await call<zookeeper.Stat>((cb) => reader.exists('/after-restart', cb));
    expect(after.czxid.readBigInt64BE()).toBeGreaterThan(maxAckedZxid);

    await waitFor(
      async () =>
        (await call<zookeeper.Stat | null>((cb) => reader.exists('/doomed-ephemeral', cb))) === null,
      {
        timeoutMs: 10_000,
        what: 'the dead client’s ephemeral to expire',
      },
    );
    reader.close();

    // A clean stop on SIGTERM.
    expect(await second.kill('SIGTERM')).toBe(0);
    expect(second.stdout()).toContain('sluice coordinator stopped (SIGTERM)');
  });

  it('snapshots bound the log, and a restart from snapshot + log restores identical stats', async () => {
    const dataDir = await tempDir();
    const server = await startZooKeeperServer({ port: 0, dataDir, snapshotAfterBytes: 8 * 1024 });
    const client = await connected(server.connectionString);
    await call<string>((cb) => client.create('/s', cb));
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call<string>((cb) => client.create(`/s/n${batch * 50 + i}`, Buffer.alloc(40, i), cb)),
        ),
      );
    }
    await call<zookeeper.Stat>((cb) => client.setData('/s/n7', Buffer.from('seven'), -1, cb));
    await call<void>((cb) => client.remove('/s/n8', -1, (error) => cb(error, undefined)));
    const before = await call<zookeeper.Stat>((cb) => client.exists('/s', cb));
    const seven = await call<zookeeper.Stat>((cb) => client.exists('/s/n7', cb));
    client.close();
    await server.close();

    const files = await readdir(dataDir);
    expect(files.some((f) => /^snapshot\.[0-9a-f]{16}$/.test(f))).toBe(true);
    // ~25 KiB of transactions in logs of ~8 KiB: old logs are deleted once a snapshot covers them.
    expect(files.filter((f) => f.startsWith('log.')).length).toBeLessThanOrEqual(2);

    const again = await startZooKeeperServer({ port: 0, dataDir, snapshotAfterBytes: 8 * 1024 });
    const check = await connected(again.connectionString);
    const restored = await call<zookeeper.Stat>((cb) => check.exists('/s', cb));
    const restoredSeven = await call<zookeeper.Stat>((cb) => check.exists('/s/n7', cb));
    const statFields = (s: zookeeper.Stat) => JSON.stringify({ ...s, specification: undefined });
    expect(statFields(restored)).toBe(statFields(before));
    expect(statFields(restoredSeven)).toBe(statFields(seven));
    expect((await getData(check, '/s/n7')).toString()).toBe('seven');
    expect(await call<zookeeper.Stat | null>((cb) => check.exists('/s/n8', cb))).toBeNull();
    check.close();
    await again.close();
  });

  it('documents its flags in --help and refuses a bad port', async () => {
    const help = await runToEnd(process.execPath, [
      '--import',
      'tsx',
      join(projectRoot, 'cli', 'main.ts'),
      'coordinator',
      '--help',
    ]);
    for (const flag of ['--port', '--host', '--data-dir', '--tick-time']) expect(help.stdout).toContain(flag);
    const bad = await runToEnd(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), 'coordinator', '--port', 'lots'],
      { allowFailure: true },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('port must be an integer');
  });
});
