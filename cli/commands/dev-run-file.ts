import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `<data-dir>/sluice-dev.pid`: which processes a running `sluice dev` owns, so that the next run on
 * the same data directory can name what a previous one left behind instead of failing on a busy port.
 */
export interface DevRun {
  pid: number;
  brokers: { id: number; pid: number }[];
  /** Apache ZooKeeper JVMs (--zookeeper-ensemble): they cannot watch dev's pipe and outlive a SIGKILL. */
  zookeeperNodes?: { id: number; pid: number }[];
}

export function devRunFile(dataDir: string): string {
  return join(dataDir, 'sluice-dev.pid');
}

export async function writeDevRun(dataDir: string, run: DevRun): Promise<void> {
  await writeFile(devRunFile(dataDir), `${JSON.stringify(run)}\n`);
}

export async function removeDevRun(dataDir: string): Promise<void> {
  await rm(devRunFile(dataDir), { force: true });
}

/** A process still running under this pid whose command line names `marker` (not a recycled pid). */
function ownProcessAlive(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // Gone, or (EPERM) another user's process under a recycled pid: not ours either way.
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    // No /proc (not Linux): trust the pid.
    return true;
  }
}

/**
 * Reads a previous run's file. Returns a sentence for the user when its processes still run (the
 * caller stops with it), else removes the stale file and returns undefined.
 */
export async function checkPreviousRun(dataDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(devRunFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  let run: DevRun;
  try {
    run = JSON.parse(text) as DevRun;
  } catch {
    await removeDevRun(dataDir);
    return undefined;
  }
  if (run.pid !== process.pid && ownProcessAlive(run.pid, 'sluice'))
    return `another sluice dev (pid ${run.pid}) is running on data dir ${dataDir}; stop it first (Ctrl-C, or kill ${run.pid})`;
  const left = [
    ...(run.brokers ?? [])
      .filter((b) => ownProcessAlive(b.pid, 'sluice'))
      .map((b) => ({ what: `broker ${b.id}`, pid: b.pid })),
    ...(run.zookeeperNodes ?? [])
      .filter((z) => ownProcessAlive(z.pid, 'QuorumPeerMain'))
      .map((z) => ({ what: `ZooKeeper node ${z.id}`, pid: z.pid })),
  ];
  if (left.length > 0) {
    const pids = left.map((p) => p.pid).join(' ');
    const what = left.map((p) => `${p.what} (pid ${p.pid})`).join(', ');
    return `a previous sluice dev on data dir ${dataDir} left ${what} running; stop them (kill ${pids}) and start again`;
  }
  await removeDevRun(dataDir);
  return undefined;
}
