import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../../../broker/log/offset-index.js';
import { TimeIndex } from '../../../../broker/log/time-index.js';
import { tempDir } from '../../../support/log-test-support.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('offset index', () => {
  it('finds the last entry at or before an offset by binary search', () => {
    const index = new OffsetIndex(join(dir, 'x.index'), 100n);
    for (let i = 1; i <= 1000; i++) index.append(100n + BigInt(i * 10), i * 4096);
    expect(index.lookup(99n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(100n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(109n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(110n)).toEqual({ offset: 110n, position: 4096 });
    expect(index.lookup(5555n)).toEqual({ offset: 5550n, position: 545 * 4096 });
    expect(index.lookup(1_000_000n)).toEqual({ offset: 10100n, position: 1000 * 4096 });
  });

  it('rejects entries that do not grow', () => {
    const index = new OffsetIndex(join(dir, 'x.index'), 0n);
    index.append(5n, 100);
    expect(() => index.append(5n, 200)).toThrow();
    expect(() => index.append(6n, 100)).toThrow();
  });

  it('saves and loads, and drops entries on truncation', async () => {
    const path = join(dir, 'x.index');
    const index = new OffsetIndex(path, 7n);
    for (let i = 1; i <= 50; i++) index.append(7n + BigInt(i), i * 100);
    index.truncateToOffset(7n + 41n);
    expect(index.entries).toBe(40);
    await index.save({ sync: true });
    const loaded = await OffsetIndex.load(path, 7n, 10_000);
    expect(loaded?.entries).toBe(40);
    expect(loaded?.lookup(7n + 30n)).toEqual({ offset: 37n, position: 3000 });
  });

  it('fails the sanity check for partial entries, unsorted entries or positions past the log', async () => {
    const path = join(dir, 'bad.index');
    await writeFile(path, Buffer.alloc(12));
    expect(await OffsetIndex.load(path, 0n, 100)).toBeNull();
    const unsorted = Buffer.alloc(16);
    for (const [i, v] of [5, 50, 3, 60].entries()) unsorted.writeUInt32BE(v, i * 4);
    await writeFile(path, unsorted);
    expect(await OffsetIndex.load(path, 0n, 100)).toBeNull();
    const beyond = Buffer.alloc(8);
    beyond.writeUInt32BE(1, 0);
    beyond.writeUInt32BE(500, 4);
    await writeFile(path, beyond);
    expect(await OffsetIndex.load(path, 0n, 100)).toBeNull();
    expect(await OffsetIndex.load(path, 0n, 501)).not.toBeNull();
  });
});

describe('time index', () => {
  it('keeps only rising timestamps and finds the last entry strictly before a time', () => {
    const index = new TimeIndex(join(dir, 'x.timeindex'), 0n);
    index.maybeAppend(1000n, 0n);
    index.maybeAppend(1000n, 5n); // not rising: skipped
    index.maybeAppend(2000n, 10n);
    index.maybeAppend(1500n, 20n); // older: skipped
    index.maybeAppend(3000n, 30n);
    expect(index.entries).toBe(3);
    expect(index.lookupBefore(1000n)).toBeNull();
    expect(index.lookupBefore(1001n)).toEqual({ timestamp: 1000n, offset: 0n });
    expect(index.lookupBefore(2000n)).toEqual({ timestamp: 1000n, offset: 0n });
    expect(index.lookupBefore(2500n)).toEqual({ timestamp: 2000n, offset: 10n });
    expect(index.lookupBefore(9999n)).toEqual({ timestamp: 3000n, offset: 30n });
    expect(index.lastEntry()).toEqual({ timestamp: 3000n, offset: 30n });
  });

  it('saves, loads and refuses entries beyond the segment', async () => {
    const path = join(dir, 'x.timeindex');
    const index = new TimeIndex(path, 100n);
    for (let i = 0; i < 20; i++) index.maybeAppend(BigInt(1000 + i), 100n + BigInt(i * 3));
    index.truncateToOffset(130n);
    expect(index.entries).toBe(10);
    await index.save({ sync: false });
    expect((await TimeIndex.load(path, 100n, 200n))?.entries).toBe(10);
    expect(await TimeIndex.load(path, 100n, 120n)).toBeNull();
  });
});
