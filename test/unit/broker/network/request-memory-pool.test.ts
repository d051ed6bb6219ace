import { describe, expect, it } from 'vitest';
import { RequestMemoryPool } from '../../../../broker/network/request-memory-pool.js';

describe('RequestMemoryPool (queued.max.request.bytes)', () => {
  it('grants within the bound, always grants an empty pool, wakes waiters on release', () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryClaim(60)).toBe(true);
    expect(pool.tryClaim(50)).toBe(false);
    let woken = 0;
    pool.whenReleased(() => woken++);
    const cancelled = pool.whenReleased(() => woken++);
    cancelled();
    expect(pool.tryClaim(40)).toBe(true);
    pool.release(100);
    expect(woken).toBe(1);
    expect(pool.usedBytes).toBe(0);
    // A frame larger than the pool still goes through alone.
    expect(pool.tryClaim(150)).toBe(true);
    expect(pool.tryClaim(1)).toBe(false);
  });

  it('is unbounded at -1', () => {
    const pool = new RequestMemoryPool(-1);
    expect(pool.tryClaim(1e12)).toBe(true);
    expect(pool.tryClaim(1e12)).toBe(true);
  });
});
