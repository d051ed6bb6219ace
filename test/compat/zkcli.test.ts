import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { APACHE_ZOOKEEPER_INSTALL_HINT } from '../../coordinator/apache-ensemble.js';
import { runToEnd } from '../support/processes.js';
import { startTarget, type ZooKeeperTarget } from '../zk/support/zk-targets.js';

/**
 * Apache ZooKeeper's own shell, zkCli.sh (Debian package), against the embedded server. The same
 * command script runs against a real standalone ZooKeeper in the same test, and the two transcripts,
 * normalised for times and ids, must be identical; key lines are also asserted outright.
 */

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';

/** One interactive zkCli session fed from stdin: one JVM start for many commands. */
const SCRIPT = [
  'create /cli hello',
  'create /cli hello',
  'create -e /cli/eph ephemeral-data',
  'create -s /cli/seq- one',
  'create -s /cli/seq- two',
  'ls /cli',
  'get /cli',
  'set /cli world',
  'get -s /cli',
  'set -v 0 /cli stale',
  'stat /cli',
  'stat /cli/eph',
  'delete /cli',
  'delete /cli/eph',
  'ls /cli',
  'create /cli/tree',
  'create /cli/tree/leaf leafdata',
  'ls -R /cli',
  'deleteall /cli',
  'ls /cli',
  'get /missing',
  'ls /',
  'quit',
];

/** Replaces dates and hex ids (zxids, session ids) with tokens numbered by first appearance. */
function normalise(transcript: string): string {
  const ids = new Map<string, string>();
  return transcript
    .split('\n')
    .filter((line) => !line.startsWith('SLF4J:') && !line.startsWith('Connecting to '))
    .join('\n')
    .replace(/^(ctime|mtime) = .*$/gm, '$1 = <time>')
    .replace(/0x[0-9a-f]+/g, (hex) => {
      if (hex === '0x0') return hex;
      if (!ids.has(hex)) ids.set(hex, `<id${ids.size + 1}>`);
      return ids.get(hex)!;
    });
}

async function runScript(connectionString: string): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await runToEnd(ZKCLI, ['-server', connectionString], {
    input: SCRIPT.join('\n') + '\n',
    allowFailure: true,
    timeoutMs: 60_000,
  });
  return { stdout: normalise(stdout), stderr: normalise(stderr) };
}

async function oneShot(connectionString: string, ...command: string[]) {
  const result = await runToEnd(ZKCLI, ['-server', connectionString, ...command], {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  return { code: result.code, stdout: normalise(result.stdout), stderr: normalise(result.stderr) };
}

describe('zkCli.sh against the embedded server, compared with Apache ZooKeeper', () => {
  let embedded: ZooKeeperTarget;
  let apache: ZooKeeperTarget;

  beforeAll(async () => {
    if (!existsSync(ZKCLI)) throw new Error(APACHE_ZOOKEEPER_INSTALL_HINT);
    [embedded, apache] = await Promise.all([startTarget('embedded'), startTarget('apache-standalone')]);
  });
  afterAll(async () => {
    await Promise.all([embedded?.close(), apache?.close()]);
  });

  it('runs create, create -e, create -s, ls, get, set, stat, delete, deleteall as on real ZooKeeper', async () => {
    const [ours, real] = await Promise.all([
      runScript(embedded.connectionString),
      runScript(apache.connectionString),
    ]);

    // What Apache ZooKeeper answers, asserted outright so the comparison cannot pass vacuously.
    expect(real.stderr).toContain('Created /cli\n');
    expect(real.stderr).toContain('Node already exists: /cli');
    expect(real.stderr).toContain('Created /cli/seq-0000000002');
    expect(real.stdout).toContain('[eph, seq-0000000001, seq-0000000002]');
    expect(real.stderr).toContain('version No is not valid : /cli');
    expect(real.stdout).toMatch(
      /dataVersion = 1\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 5\nnumChildren = 3/,
    );
    expect(real.stdout).toMatch(/ephemeralOwner = <id\d+>\ndataLength = 14\nnumChildren = 0/);
    expect(real.stderr).toContain('Node not empty: /cli');
    expect(real.stdout).toContain('/cli/tree/leaf');
    expect(real.stderr).toContain('Node does not exist: /missing');

    expect(ours.stdout).toBe(real.stdout);
    expect(ours.stderr).toBe(real.stderr);
  });

  it('answers one-shot commands (zkCli.sh -server host:port <command>) as on real ZooKeeper', async () => {
    for (const target of [embedded, apache]) {
      const created = await oneShot(target.connectionString, 'create', '/oneshot', 'payload');
      expect(created.stderr).toContain('Created /oneshot');
    }
    const [ours, real] = await Promise.all(
      [embedded, apache].map((target) => oneShot(target.connectionString, 'get', '/oneshot')),
    );
    expect(real!.stdout).toContain('payload');
    // zkCli prints the connection event from its event thread, racing the command's own output: compare
    // the event block and the rest separately, not their interleaving.
    expect(withoutConnectedEvent(ours!)).toEqual(withoutConnectedEvent(real!));
  });
});

/** zkCli's output with its one SyncConnected event block taken out, and whether the block was there. */
function withoutConnectedEvent(result: Awaited<ReturnType<typeof oneShot>>) {
  const block = /WATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n/;
  return { ...result, stdout: result.stdout.replace(block, ''), connectedEvent: block.test(result.stdout) };
}
