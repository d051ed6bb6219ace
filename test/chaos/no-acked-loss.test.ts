import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apacheZooKeeperAvailable } from '../../coordinator/apache-ensemble.js';
import {
  chaosSeed,
  describeResult,
  runNoAckedLossScenario,
  type ChaosCoordinator,
} from './no-acked-loss-scenario.js';

/**
 * No acknowledged record lost across CHAOS_ROUNDS (default 20) SIGKILL/restart rounds of 3 brokers,
 * about a quarter of them with a second broker killed before the first returns (one replica left,
 * below min.insync.replicas), and every fifth round a controlled shutdown (SIGTERM of a leader), against the embedded coordinator and a real 3-node Apache ZooKeeper
 * ensemble. Seeded: replay a run with CHAOS_SEED (one coordinator selected by CHAOS_COORDINATORS).
 */
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 20);
// CHAOS_COORDINATORS=embedded (comma-separated) narrows a run; both by default.
const coordinators = (process.env.CHAOS_COORDINATORS ?? 'embedded,apache-ensemble')
  .split(',')
  .map((c) => c.trim()) as ChaosCoordinator[];

describe.each(coordinators)('no acknowledged record lost (%s coordinator)', (coordinator) => {
  it(`every acknowledged record survives ${ROUNDS} SIGKILL/SIGTERM rounds, at its offset, in order`, async () => {
    // The ensemble is a test dependency like kcat: missing it is a failure, not a skip.
    if (coordinator === 'apache-ensemble') expect(apacheZooKeeperAvailable()).toBe(true);
    const seed = chaosSeed();
    console.log(`chaos[${coordinator}]: seed ${seed} (replay with CHAOS_SEED=${seed})`);
    const result = await runNoAckedLossScenario({
      coordinator,
      rounds: ROUNDS,
      seed,
      doubleKillRate: 0.25,
      controlledShutdownEvery: 5,
      say: (line) => console.log(line),
      logDir: process.env.CHAOS_LOG_DIR && join(process.env.CHAOS_LOG_DIR, coordinator),
      clientDebug: process.env.CHAOS_CLIENT_DEBUG === '1',
    });
    console.log(describeResult(result));
    expect(result.acknowledged).toBeGreaterThan(ROUNDS * 200);
    expect({ lost: result.lost, misplaced: result.misplaced, outOfOrder: result.outOfOrder }).toEqual({
      lost: 0,
      misplaced: 0,
      outOfOrder: 0,
    });
  });
});
