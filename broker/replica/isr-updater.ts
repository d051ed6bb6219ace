import type { ClusterState } from '../../coordinator/cluster-state.js';
import { isZooKeeperError } from '../../coordinator/zk-errors.js';
import type { Logger } from '../../log/logger.js';
import { RepeatedWarning } from '../../log/repeated-warning.js';
import type { Partition, PartitionLeadership } from './partition.js';

/**
 * The leader's own ISR changes (shrink a lagging follower, re-admit one that caught up), written to
 * the partition-state znode conditionally on the znode version the leader last saw, with leader,
 * leader_epoch and controller_epoch unchanged — Kafka's ZooKeeper-era leader does the same. A
 * BADVERSION means the controller (or an earlier write of ours) changed the state: the leader re-reads
 * it, applies it, and decides again on its next check. One write per partition at a time.
 */
export class IsrUpdater {
  private readonly inFlight = new Set<Partition>();
  /** A write that fails while ZooKeeper is away fails again on every proposal: one line, then counts. */
  private readonly failures: RepeatedWarning;

  constructor(
    private readonly clusterState: ClusterState,
    /** Applies a state read back from ZooKeeper (the replica manager's role transition). */
    private readonly applyState: (partition: Partition, leadership: PartitionLeadership) => Promise<void>,
    private readonly logger: Logger,
  ) {
    this.failures = new RepeatedWarning(logger);
  }

  /** Proposes `isr` for `partition` if it still leads and nothing else is being written for it. */
  async propose(partition: Partition, isr: number[], reason: string): Promise<void> {
    if (this.inFlight.has(partition) || !partition.isLeader) return;
    const current = partition.state;
    if (current.zkVersion === undefined) return;
    this.inFlight.add(partition);
    const tp = partition.topicPartition;
    try {
      const version = await this.clusterState.updatePartitionState(
        tp,
        {
          leader: current.leader,
          leaderEpoch: current.leaderEpoch,
          controllerEpoch: current.controllerEpoch ?? 0,
          isr,
        },
        current.zkVersion,
      );
      this.logger.info(
        { topic: tp.topic, partition: tp.partition, from: current.isr, to: isr, reason },
        'ISR changed',
      );
      await this.applyState(partition, { ...current, isr, zkVersion: version });
    } catch (error) {
      if (!isZooKeeperError(error, 'BADVERSION', 'NONODE')) {
        this.failures.warn(
          `${tp.topic}-${tp.partition}`,
          { err: error, topic: tp.topic, partition: tp.partition },
          'ISR write failed',
        );
        return;
      }
      const fresh = await this.clusterState.readPartitionState(tp).catch(() => null);
      if (fresh === null) return;
      await this.applyState(partition, {
        leader: fresh.value.leader,
        leaderEpoch: fresh.value.leaderEpoch,
        controllerEpoch: fresh.value.controllerEpoch,
        isr: fresh.value.isr,
        replicas: current.replicas,
        zkVersion: fresh.version,
      });
    } finally {
      this.inFlight.delete(partition);
    }
  }
}
