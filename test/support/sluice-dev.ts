import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpawnOptions } from 'node:child_process';
import { expect } from 'vitest';
import { alive } from './process-tree.js';
import { startSluice, type RunningProcess } from './processes.js';
import { waitFor } from './wait.js';

/** `sluice dev` as a user runs it, on free ports and a temporary data directory. */
export interface SluiceDev {
  dev: RunningProcess;
  dataDir: string;
  /** The addresses dev printed: `host:port,…`. */
  bootstrap: string;
  zookeeper: string;
  /** Everything printed up to "press Ctrl-C to stop". */
  output: string;
  /** Removes the data directory (after the process is gone). */
  removeDataDir(): Promise<void>;
}

/**
 * Starts `sluice dev --brokers N` and waits until it says the cluster is ready; on a new temporary
 * data directory unless given one.
 */
export async function startSluiceDev(
  brokers: number,
  extra: string[] = [],
  options: SpawnOptions = {},
  existingDataDir?: string,
): Promise<SluiceDev> {
  const dataDir = existingDataDir ?? (await mkdtemp(join(tmpdir(), 'sluice-dev-')));
  const args = ['dev', '--brokers', String(brokers), '--port', '0', '--zookeeper-port', '0'];
  const dev = startSluice([...args, '--data-dir', dataDir, ...extra], options);
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const output = await dev.waitForOutput(/press Ctrl-C to stop/, 100_000);
    const bootstrap = /bootstrap servers: (\S+)/.exec(output)?.[1];
    const zookeeper = /zookeeper: (\S+)/.exec(output)?.[1];
    expect(bootstrap?.split(',')).toHaveLength(brokers);
    expect(zookeeper).toBeDefined();
    return { dev, dataDir, bootstrap: bootstrap!, zookeeper: zookeeper!, output, removeDataDir };
  } catch (error) {
    await dev.kill('SIGKILL');
    await removeDataDir();
    throw error;
  }
}

/** Ctrl-C: dev exits 0 after saying it stopped, and every process it started is gone. */
export async function interruptAndExpectTreeGone(
  dev: RunningProcess,
  started: number[],
  what = 'every process dev started to be gone',
): Promise<void> {
  dev.child.kill('SIGINT');
  expect(await dev.exited).toBe(0);
  expect(dev.stdout()).toContain('sluice dev: stopped');
  await waitFor(() => started.every((pid) => !alive(pid)), {
    timeoutMs: 5_000,
    what,
  });
}
