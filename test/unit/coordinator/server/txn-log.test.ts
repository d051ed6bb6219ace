import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTxnStore, frameLogRecord, readLogFile } from '../../../../coordinator/server/txn-log.js';
import type { TxnRecord } from '../../../../coordinator/server/txn.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-txn-log-'));
  dirs.push(dir);
  return dir;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A store over a fresh tree that applies each record before logging it, as the server does. */
function openStore(
  dir: string,
  options: { snapshotAfterBytes?: number; maxSyncsInFlight?: number } = {},
  onDurable: (zxid: number) => void = () => undefined,
) {
  const tree = FileTxnStore.recover(dir);
  const durable: number[] = [];
  const store = FileTxnStore.open(
    dir,
    tree,
    (zxid) => {
      durable.push(zxid);
      onDurable(zxid);
    },
    options,
  );
  const write = (path: string, data = Buffer.from(path)) => {
    const record: TxnRecord = {
      zxid: tree.lastZxid + 1,
      time: 1_700_000_000_000,
      txn: { type: 'create', path, data, acl: [], ephemeralOwner: 0n },
    };
    tree.apply(record, []);
    store.append(record);
    return record.zxid;
  };
  return { tree, store, durable, write };
}

/** Every record in the directory's logs right now, in file order (synchronously: nothing moves meanwhile). */
function loggedZxidsNow(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('log.'))
    .sort()
    .flatMap((name) => readLogFile(readFileSync(join(dir, name))).records.map((r) => r.zxid));
}

/** Every record in the directory's logs, in file order. */
async function loggedZxids(dir: string): Promise<number[]> {
  const zxids: number[] = [];
  for (const name of (await readdir(dir)).filter((f) => f.startsWith('log.')).sort()) {
    zxids.push(...readLogFile(await readFile(join(dir, name))).records.map((r) => r.zxid));
  }
  return zxids;
}

describe('FileTxnStore group commit', () => {
  it('reports a zxid durable only after it was written, in increasing order, ending at the last', async () => {
    const dir = await tempDir();
    const onDiskAtReport: number[][] = [];
    const { store, durable, write } = openStore(dir, { maxSyncsInFlight: 4 }, (zxid) =>
      onDiskAtReport.push(loggedZxidsNow(dir).slice(0, zxid)),
    );
    // Bursts across event-loop turns, so later batches start while earlier syncs are in flight.
    let last = 0;
    for (let burst = 0; burst < 40; burst++) {
      for (let i = 0; i < 1 + (burst % 7); i++) last = write(`/n${burst}-${i}`);
      expect(store.durableZxid).toBeLessThan(last); // nothing is durable in the turn it was appended
      if (burst % 3 === 0) await nextTurn();
    }
    while (store.durableZxid < last) await nextTurn();
    expect(durable.at(-1)).toBe(last);
    expect(durable).toEqual([...durable].sort((a, b) => a - b));
    expect(new Set(durable).size).toBe(durable.length);
    await store.close();
    expect(await loggedZxids(dir)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    // At the moment each zxid was reported durable, the log on disk held every record up to it.
    expect(onDiskAtReport).toEqual(durable.map((zxid) => Array.from({ length: zxid }, (_, i) => i + 1)));
  });

  it('batches what one turn appends into one write and sync', async () => {
    const dir = await tempDir();
    const { store, durable, write } = openStore(dir, { maxSyncsInFlight: 1 });
    let last = 0;
    for (let i = 0; i < 100; i++) last = write(`/same-turn-${i}`);
    await store.close();
    // One sync for the whole turn: a single report, of the last zxid.
    expect(durable).toEqual([last]);
  });

  it('preallocates the log, and recovery reads the zero tail as the end without losing a record', async () => {
    const dir = await tempDir();
    const { store, write, tree } = openStore(dir);
    for (let i = 0; i < 50; i++) write(`/p${i}`, Buffer.alloc(100, i));
    await store.close();
    const [logName] = (await readdir(dir)).filter((f) => f.startsWith('log.'));
    const bytes = await readFile(join(dir, logName!));
    const { records, validLength } = readLogFile(bytes);
    expect(records).toHaveLength(50);
    expect(bytes.length).toBeGreaterThan(validLength); // zeros ahead of the last record
    expect(bytes.subarray(validLength).every((b) => b === 0)).toBe(true);

    const recovered = FileTxnStore.recover(dir);
    expect(recovered.lastZxid).toBe(tree.lastZxid);
    expect(recovered.get('/p49')?.data).toEqual(Buffer.alloc(100, 49));
    // Appending after recovery starts a new log at the next zxid; both logs replay on the next start.
    const again = openStore(dir);
    const zxid = again.write('/after');
    await again.store.close();
    expect(FileTxnStore.recover(dir).get('/after')?.czxid).toBe(zxid);
  });

  it('cuts a torn record off the end at recovery and keeps the records before it', async () => {
    const dir = await tempDir();
    const { store, write } = openStore(dir);
    for (let i = 0; i < 10; i++) write(`/t${i}`);
    await store.close();
    const [logName] = (await readdir(dir)).filter((f) => f.startsWith('log.'));
    const path = join(dir, logName!);
    const bytes = await readFile(path);
    const { validLength } = readLogFile(bytes);
    // A record whose write was cut short: its header made it to disk, the end of its payload did not.
    const torn = frameLogRecord({ zxid: 99, time: 1, txn: { type: 'delete', path: '/t0' } });
    torn.fill(0, torn.length - 3);
    torn.copy(bytes, validLength);
    await writeFile(path, bytes);
    const recovered = FileTxnStore.recover(dir);
    expect(recovered.get('/t9')).toBeDefined();
    expect(recovered.get('/t0')).toBeDefined();
    expect((await stat(path)).size).toBe(validLength);
  });

  it('rotates logs under load with syncs in flight, and recovery restores every record', async () => {
    const dir = await tempDir();
    const { store, durable, write, tree } = openStore(dir, { snapshotAfterBytes: 4096, maxSyncsInFlight: 4 });
    let last = 0;
    for (let burst = 0; burst < 60; burst++) {
      for (let i = 0; i < 5; i++) last = write(`/r${burst}-${i}`, Buffer.alloc(64, burst));
      await nextTurn();
    }
    await store.close();
    expect(durable.at(-1)).toBe(last);
    expect(durable).toEqual([...durable].sort((a, b) => a - b));
    const files = await readdir(dir);
    expect(files.some((f) => f.startsWith('snapshot.'))).toBe(true);
    const recovered = FileTxnStore.recover(dir);
    expect(recovered.lastZxid).toBe(last);
    expect(recovered.serialize()).toEqual(tree.serialize());
  });
});
