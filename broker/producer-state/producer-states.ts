import { componentLogger } from '../../log/logger.js';
import { PartitionProducerState, type ProducerStateLog } from './partition-producer-state.js';

const log = componentLogger('producer-state');

/**
 * The producer state of every local replica, one per replica log, created on the first idempotent
 * produce to it. One per broker (startBroker creates it): a clean shutdown snapshots every state so a
 * restart replays no headers, and a replica that goes away takes its state with it.
 */
export class ProducerStates {
  private readonly states = new Map<ProducerStateLog, PartitionProducerState>();

  /** The state belonging to this replica log (created on first use). */
  of(partitionLog: ProducerStateLog): PartitionProducerState {
    let state = this.states.get(partitionLog);
    if (!state) {
      state = new PartitionProducerState(partitionLog);
      this.states.set(partitionLog, state);
    }
    return state;
  }

  /**
   * The replica's log is about to close: with `snapshot` its state is written first (the log stays
   * on disk), without (the log is being deleted) it is only forgotten.
   */
  async release(partitionLog: ProducerStateLog, { snapshot }: { snapshot: boolean }): Promise<void> {
    const state = this.states.get(partitionLog);
    if (!state) return;
    this.states.delete(partitionLog);
    if (snapshot) await this.snapshotOne(partitionLog, state);
    else state.discard();
  }

  /** Snapshots every state and forgets them all (broker shutdown, before the logs close). */
  async close(): Promise<void> {
    const all = [...this.states];
    this.states.clear();
    await Promise.all(all.map(([partitionLog, state]) => this.snapshotOne(partitionLog, state)));
  }

  private async snapshotOne(partitionLog: ProducerStateLog, state: PartitionProducerState): Promise<void> {
    try {
      await state.snapshot();
    } catch (error) {
      log.warn({ dir: partitionLog.dir, err: (error as Error).message }, 'producer state snapshot failed');
    }
  }
}
