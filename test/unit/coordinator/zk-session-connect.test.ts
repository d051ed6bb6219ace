import { describe, expect, it } from 'vitest';
import { ZooKeeperSession } from '../../../coordinator/zk-session.js';
import { freePort } from '../../support/ports.js';

describe('ZooKeeperSession.connect', () => {
  it('gives up after the connect timeout when no server answers', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(
      ZooKeeperSession.connect(`127.0.0.1:${port}`, { connectTimeoutMs: 700, spinDelayMs: 50 }),
    ).rejects.toThrow(/could not open a ZooKeeper session at 127\.0\.0\.1:\d+ within 700 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
