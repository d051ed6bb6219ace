import { describe, expect, it } from 'vitest';
import { chaosSeed, describeResult, runNoAckedLossScenario } from '../chaos/no-acked-loss-scenario.js';

/**
 * The short form of the no-acknowledged-loss chaos test (test/chaos/no-acked-loss.test.ts), run by
 * `npm test`: three SIGKILL rounds and two controlled shutdowns (SIGTERM of a leader) on the embedded
 * coordinator. Each round prints its failover time (issue 5: SIGKILL ≤ session timeout + 1 s = 4 s,
 * controlled shutdown ≤ 1 s); timings are printed, not asserted, because a loaded 2-core machine
 * stretches them. Replay a failure with CHAOS_SEED; see where a failover's time went with
 * CHAOS_LOG_DIR=DIR and `npx tsx test/chaos/failover-timeline.ts DIR`.
 */
describe('cluster chaos (short): SIGKILL brokers under acks=all load', () => {
  it('no acknowledged record is lost, misplaced or reordered (5 rounds, embedded coordinator)', async () => {
    const seed = chaosSeed();
    console.log(`chaos short: seed ${seed} (replay with CHAOS_SEED=${seed})`);
    const result = await runNoAckedLossScenario({
      coordinator: 'embedded',
      rounds: 5,
      seed,
      controlledShutdownEvery: 2,
      say: (line) => console.log(line),
      logDir: process.env.CHAOS_LOG_DIR,
      clientDebug: process.env.CHAOS_CLIENT_DEBUG === '1',
    });
    console.log(describeResult(result));
    expect(result.acknowledged).toBeGreaterThan(4 * 200);
    expect({ lost: result.lost, misplaced: result.misplaced, outOfOrder: result.outOfOrder }).toEqual({
      lost: 0,
      misplaced: 0,
      outOfOrder: 0,
    });
  }, 180_000);
});
