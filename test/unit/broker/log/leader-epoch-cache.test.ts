import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LEADER_EPOCH_CHECKPOINT_FILE,
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from '../../../../broker/log/leader-epoch-cache.js';
import { tempDir } from '../../../support/log-test-support.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('leader epoch cache', () => {
  it('adds only newer epochs and answers OffsetForLeaderEpoch like Kafka', async () => {
    const cache = await LeaderEpochCache.load(dir);
    expect(cache.endOffsetFor(0, 10n)).toEqual({
      leaderEpoch: UNDEFINED_EPOCH,
      endOffset: UNDEFINED_EPOCH_OFFSET,
    });
    expect(cache.assign(1, 0n)).toBe(true);
    expect(cache.assign(1, 5n)).toBe(false);
    expect(cache.assign(3, 10n)).toBe(true);
    expect(cache.assign(2, 12n)).toBe(false);
    expect(cache.assign(5, 20n)).toBe(true);
    expect(cache.all).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 10n },
      { epoch: 5, startOffset: 20n },
    ]);
    expect(cache.endOffsetFor(5, 33n)).toEqual({ leaderEpoch: 5, endOffset: 33n });
    expect(cache.endOffsetFor(1, 33n)).toEqual({ leaderEpoch: 1, endOffset: 10n });
    // Epoch 2 never led here: the answer is the epoch before it, ending where epoch 3 starts.
    expect(cache.endOffsetFor(2, 33n)).toEqual({ leaderEpoch: 1, endOffset: 10n });
    expect(cache.endOffsetFor(4, 33n)).toEqual({ leaderEpoch: 3, endOffset: 20n });
    expect(cache.endOffsetFor(0, 33n)).toEqual({ leaderEpoch: 0, endOffset: 0n });
    expect(cache.endOffsetFor(9, 33n)).toEqual({
      leaderEpoch: UNDEFINED_EPOCH,
      endOffset: UNDEFINED_EPOCH_OFFSET,
    });
  });

  it('truncates from the end and from the start', async () => {
    const cache = await LeaderEpochCache.load(dir);
    cache.assign(1, 0n);
    cache.assign(2, 10n);
    cache.assign(3, 20n);
    expect(cache.truncateFromEnd(20n)).toBe(true);
    expect(cache.all.map((e) => e.epoch)).toEqual([1, 2]);
    expect(cache.truncateFromStart(15n)).toBe(true);
    expect(cache.all).toEqual([{ epoch: 2, startOffset: 15n }]);
    expect(cache.truncateFromStart(15n)).toBe(false);
  });

  it('persists in the leader-epoch-checkpoint text format and reloads', async () => {
    const cache = await LeaderEpochCache.load(dir);
    cache.assign(0, 0n);
    cache.assign(4, 1234n);
    await cache.save();
    expect(await readFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8')).toBe('0\n2\n0 0\n4 1234\n');
    const again = await LeaderEpochCache.load(dir);
    expect(again.all).toEqual(cache.all);
    expect(again.latestEpoch()).toBe(4);
  });
});
