import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../support/ports.js';
import { projectRoot, runToEnd, startProcess } from '../support/processes.js';

/**
 * The package as a user installs it away from the checkout: `npm pack`, `npm install` of the tarball
 * into an empty prefix (dependencies from npm's cache where it has them), then the installed `sluice`
 * command runs a coordinator and a broker that kcat can talk to.
 */
describe('npm pack', () => {
  it('makes a tarball that installs into an empty prefix and whose sluice command runs a broker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-pack-'));
    const npm = (args: string[], cwd: string) =>
      runToEnd('sh', ['-c', `cd '${cwd}' && npm ${args.join(' ')}`], { timeoutMs: 400_000 });
    try {
      const packed = await npm(['pack', '--pack-destination', dir, '--silent'], projectRoot);
      const tarball = packed.stdout.trim().split('\n').pop()!;
      expect(tarball).toMatch(/^sluice-\d+\.\d+\.\d+\.tgz$/);
      const listing = await runToEnd('tar', ['tzf', join(dir, tarball)]);
      const files = listing.stdout.split('\n');
      expect(files).toContain('package/dist/cli/main.js');
      expect(files).toContain('package/README.md');
      expect(files.filter((f) => f.startsWith('package/dist/test/'))).toEqual([]);

      const prefix = join(dir, 'prefix');
      await npm(
        ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)],
        dir,
      );
      const sluice = join(prefix, 'node_modules', '.bin', 'sluice');
      expect(await readdir(join(prefix, 'node_modules', '.bin'))).toContain('sluice');
      // The shebang carries the broker's V8 flag (cli/broker-node-flags.ts) and still runs.
      expect((await runToEnd(sluice, ['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      expect((await runToEnd(sluice, ['--help'])).stdout).toContain('Usage: sluice');
      expect((await runToEnd(sluice, ['topics', '--help'])).stdout).toContain('Usage: sluice topics');

      // Run from the empty prefix, not the checkout: nothing resolves from the source tree.
      const [zkPort, brokerPort] = await freePorts(2);
      const env = { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: 'warn' };
      const coordinator = startProcess(sluice, ['coordinator', '--port', String(zkPort)], { cwd: dir, env });
      const broker = startProcess(
        sluice,
        [
          'broker',
          ...['--override', 'broker.id=1', '--override', `listeners=PLAINTEXT://127.0.0.1:${brokerPort}`],
          ...['--override', `log.dirs=${join(dir, 'broker-1')}`],
          ...['--override', `zookeeper.connect=127.0.0.1:${zkPort}`],
        ],
        { cwd: dir, env },
      );
      try {
        await coordinator.waitForOutput('sluice coordinator listening on', 30_000);
        await broker.waitForOutput('sluice broker 1 listening on', 60_000);
        await runToEnd('kcat', ['-P', '-b', `127.0.0.1:${brokerPort}`, '-t', 'packed'], { input: 'hi\n' });
        const consumed = await runToEnd('kcat', [
          ...['-C', '-b', `127.0.0.1:${brokerPort}`, '-t', 'packed', '-e', '-o', 'beginning', '-q'],
        ]);
        expect(consumed.stdout).toBe('hi\n');
        expect(await broker.kill('SIGTERM')).toBe(0);
        expect(await coordinator.kill('SIGTERM')).toBe(0);
      } finally {
        await broker.kill('SIGKILL');
        await coordinator.kill('SIGKILL');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
