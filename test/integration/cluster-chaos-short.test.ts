import { describe, expect, it } from 'vitest';
import { chaosSeed, describeResult, runNoAckedLossScenario } from '../chaos/no-acked-loss-scenario.js';

/**
 * The short form of the no-acknowledged-loss chaos test (test/chaos/no-acked-loss.test.ts), run by
 * `npm test`: four SIGKILL rounds on the embedded coordinator. Replay a failure with CHAOS_SEED.
 */
describe('cluster chaos (short): SIGKILL brokers under acks=all load', () => {
  it('no acknowledged record is lost, misplaced or reordered (4 rounds, embedded coordinator)', async () => {
    const seed = chaosSeed();
    console.log(`chaos short: seed ${seed} (replay with CHAOS_SEED=${seed})`);
    const result = await runNoAckedLossScenario({
      coordinator: 'embedded',
      rounds: 4,
      seed,
      say: (line) => console.log(line),
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
