import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../../broker/log/group-commit.js';

describe('group commit', () => {
  it('lets concurrent writers share fsyncs, and never counts a write synced by an earlier fsync', async () => {
    let syncs = 0;
    let release: (() => void) | null = null;
    const commit = new GroupCommit(async () => {
      syncs++;
      await new Promise<void>((resolve) => (release = resolve));
    });
    const first = commit.noteWrite();
    const firstDone = commit.waitDurable(first);
    // While the first fsync runs, 20 more writes arrive; they must wait for a second fsync.
    const later = Array.from({ length: 20 }, () => commit.waitDurable(commit.noteWrite()));
    let laterDone = false;
    void Promise.all(later).then(() => (laterDone = true));
    expect(syncs).toBe(1);
    release!();
    await firstDone;
    await new Promise((r) => setImmediate(r));
    expect(laterDone).toBe(false);
    expect(syncs).toBe(2);
    release!();
    await Promise.all(later);
    expect(syncs).toBe(2);
    expect(commit.hasUnsyncedWrites).toBe(false);
  });

  it('passes an fsync failure to the waiters', async () => {
    const commit = new GroupCommit(async () => {
      throw new Error('EIO');
    });
    await expect(commit.waitDurable(commit.noteWrite())).rejects.toThrow('EIO');
  });
});
