import { topicPartitionKey, type TopicPartition } from '../../protocol/topic-partition.js';
import { KafkaConnection, type BrokerAddress } from '../../client/kafka-connection.js';
import type { Logger } from '../../log/logger.js';
import { RepeatedWarning } from '../../log/repeated-warning.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchRequest, OffsetForLeaderEpochRequest } from '../../protocol/index.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../log/partition-log.js';
import type { Partition } from './partition.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';

/** Fetch v11: current_leader_epoch fencing, no KIP-595 diverging epochs (we truncate by epoch first). */
const FETCH_VERSION = 11;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 3;
const LIST_OFFSETS_VERSION = 4;
const CONNECT_TIMEOUT_MS = 5_000;

export interface ReplicaFetcherSettings {
  localBrokerId: number;
  /** The leader's inter-broker listener address, or null while it is not registered. */
  addressOf(brokerId: number): BrokerAddress | null;
  /** replica.fetch.wait.max.ms */
  fetchWaitMaxMs: number;
  /** replica.fetch.max.bytes (per partition) */
  fetchMaxBytes: number;
  /** Per-request deadline on top of the long-poll time. */
  requestTimeoutMs: number;
  /** Pause after an error before trying a partition (or the connection) again. */
  backoffMs: number;
  logger: Logger;
}

interface FetchState {
  readonly partition: Partition;
  readonly leaderEpoch: number;
  phase: 'truncating' | 'fetching';
  fetchOffset: bigint;
  delayedUntil: number;
  removed: boolean;
}

/**
 * Replicates every partition this broker follows from one leader broker over one connection, as
 * Kafka's ReplicaFetcherThread does. A partition first truncates its log by leader epoch
 * (OffsetForLeaderEpoch: the end offset, on the leader, of our latest epoch — never just our high
 * watermark, which could drop acknowledged records), then fetches with replica_id = our broker id and
 * appends the leader's batches unchanged (offsets kept). Errors back the partition off; a fencing
 * error waits for the new partition state to arrive from ZooKeeper, which re-adds the partition.
 *
 * Log changes (truncate, append) happen inside `mutate`, which `removePartition` waits for, so once a
 * partition is removed (it became leader, or was deleted) the fetcher never touches its log again.
 */
export class ReplicaFetcher {
  private readonly states = new Map<string, FetchState>();
  private connection: KafkaConnection | null = null;
  private readonly mutations = new SerialQueue();
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly running: Promise<void>;
  /** A dead leader fails every retry until the controller moves leadership: one line, then counts. */
  private readonly failures: RepeatedWarning;

  constructor(
    readonly sourceBrokerId: number,
    private readonly settings: ReplicaFetcherSettings,
  ) {
    this.failures = new RepeatedWarning(settings.logger);
    this.running = this.run();
  }

  get partitionCount(): number {
    return this.states.size;
  }

  /** Starts following `partition` in `leaderEpoch`: truncate by epoch, then fetch. */
  addPartition(partition: Partition, leaderEpoch: number): void {
    const key = topicPartitionKey(partition.topicPartition);
    const old = this.states.get(key);
    if (old) old.removed = true;
    this.states.set(key, {
      partition,
      leaderEpoch,
      phase: 'truncating',
      fetchOffset: partition.log.logEndOffset,
      delayedUntil: 0,
      removed: false,
    });
    this.wake?.();
  }

  /** Stops following; resolves once no log change of this fetcher is in progress. */
  async removePartition(tp: TopicPartition): Promise<void> {
    const key = topicPartitionKey(tp);
    const state = this.states.get(key);
    if (!state) return;
    state.removed = true;
    this.states.delete(key);
    await this.mutations.idle();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.states.values()) state.removed = true;
    this.states.clear();
    this.connection?.close();
    this.wake?.();
    await this.running;
    await this.mutations.idle();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const now = Date.now();
      const ready = [...this.states.values()].filter((s) => s.delayedUntil <= now);
      if (ready.length === 0) {
        const next = Math.min(...[...this.states.values()].map((s) => s.delayedUntil));
        await this.sleep(Number.isFinite(next) ? Math.max(1, next - now) : 60_000);
        continue;
      }
      try {
        const connection = await this.connect();
        if (connection === null) {
          await this.sleep(this.settings.backoffMs);
          continue;
        }
        const truncating = ready.filter((s) => s.phase === 'truncating');
        if (truncating.length > 0) await this.truncate(connection, truncating);
        const fetching = ready.filter((s) => s.phase === 'fetching' && !s.removed);
        if (fetching.length > 0) await this.fetch(connection, fetching);
        this.failures.resolved('fetch');
      } catch (error) {
        if (this.closed) break;
        this.failures.warn(
          'fetch',
          { err: (error as Error).message, leader: this.sourceBrokerId },
          'replica fetch failed; reconnecting',
        );
        this.connection?.close();
        this.connection = null;
        await this.sleep(this.settings.backoffMs);
      }
    }
    this.connection?.close();
  }

  private async connect(): Promise<KafkaConnection | null> {
    if (this.connection?.isOpen) return this.connection;
    const address = this.settings.addressOf(this.sourceBrokerId);
    if (address === null) return null;
    this.connection = await KafkaConnection.connect(address, {
      clientId: `sluice-replica-fetcher-${this.settings.localBrokerId}`,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      // Short: a role change waits for this fetcher to stop, which may be mid-connect.
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    if (this.closed) this.connection.close();
    return this.connection;
  }

  /** Runs a log change unless the partition was removed meanwhile; removal waits for it. */
  private mutate(state: FetchState, change: () => Promise<void>): Promise<void> {
    return this.mutations.run(async () => {
      if (state.removed || this.closed) return;
      await change();
    });
  }

  private delay(state: FetchState): void {
    state.delayedUntil = Date.now() + this.settings.backoffMs;
  }

  private async truncate(connection: KafkaConnection, states: FetchState[]): Promise<void> {
    const asked: FetchState[] = [];
    for (const state of states) {
      if (state.partition.log.latestEpoch < 0) {
        // No epoch history (empty log): nothing can diverge.
        state.fetchOffset = state.partition.log.logEndOffset;
        state.phase = 'fetching';
      } else {
        asked.push(state);
      }
    }
    if (asked.length === 0) return;
    const request: OffsetForLeaderEpochRequest = {
      replicaId: this.settings.localBrokerId,
      topics: groupByTopic(asked, (s) => ({
        partition: s.partition.topicPartition.partition,
        currentLeaderEpoch: s.leaderEpoch,
        leaderEpoch: s.partition.log.latestEpoch,
      })).map(([topic, partitions]) => ({ topic, partitions })),
    };
    const response = await connection.request(23, request, { version: OFFSET_FOR_LEADER_EPOCH_VERSION });
    for (const topic of response.topics) {
      for (const result of topic.partitions) {
        const state = this.states.get(topicPartitionKey({ topic: topic.topic, partition: result.partition }));
        if (!state || state.removed || !asked.includes(state)) continue;
        if (result.errorCode !== 0) {
          this.settings.logger.debug(
            { topic: topic.topic, partition: result.partition, errorCode: result.errorCode },
            'OffsetForLeaderEpoch refused; retrying',
          );
          this.delay(state);
          continue;
        }
        await this.mutate(state, async () => {
          const log = state.partition.log;
          const leaderEpoch = result.leaderEpoch ?? -1;
          let target: bigint;
          if (leaderEpoch < 0 || result.endOffset < 0n) {
            // The leader knows nothing of our epochs: keep only what was committed.
            target = state.partition.highWatermark;
          } else {
            // Our end of the leader's epoch (where our log may start to differ), capped at the leader's.
            const local = log.endOffsetForEpoch(leaderEpoch);
            target = result.endOffset;
            if (local.endOffset >= 0n && local.endOffset < target) target = local.endOffset;
          }
          if (target < log.logEndOffset) {
            this.settings.logger.info(
              {
                partition: topicPartitionKey(state.partition.topicPartition),
                from: String(log.logEndOffset),
                to: String(target),
                leaderEpoch,
              },
              'truncating follower log by leader epoch',
            );
            await log.truncateTo(target);
            state.partition.clampHighWatermarkToLogEnd();
          }
          state.fetchOffset = log.logEndOffset;
          state.phase = 'fetching';
        });
      }
    }
  }

  private async fetch(connection: KafkaConnection, states: FetchState[]): Promise<void> {
    const request: FetchRequest = {
      clusterId: null,
      replicaId: this.settings.localBrokerId,
      maxWaitMs: this.settings.fetchWaitMaxMs,
      minBytes: 1,
      maxBytes: 0x7fffffff,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: groupByTopic(states, (s) => ({
        partition: s.partition.topicPartition.partition,
        currentLeaderEpoch: s.leaderEpoch,
        fetchOffset: s.fetchOffset,
        lastFetchedEpoch: -1,
        logStartOffset: s.partition.log.logStartOffset,
        partitionMaxBytes: this.settings.fetchMaxBytes,
      })).map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: '',
    };
    const offsets = new Map(states.map((s) => [s, s.fetchOffset]));
    const response = await connection.request(1, request, {
      version: FETCH_VERSION,
      timeoutMs: this.settings.fetchWaitMaxMs + this.settings.requestTimeoutMs,
    });
    if (response.errorCode !== 0) throw new Error(`fetch error ${response.errorCode}`);
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const state = this.states.get(
          topicPartitionKey({ topic: topic.topic, partition: data.partitionIndex }),
        );
        if (!state || state.removed || offsets.get(state) !== state.fetchOffset) continue;
        switch (data.errorCode) {
          case 0:
            await this.mutate(state, async () => {
              const records = data.records;
              if (records !== null && records.length > 0) await state.partition.appendAsFollower(records);
              state.fetchOffset = state.partition.log.logEndOffset;
              state.partition.updateFollowerHighWatermark(data.highWatermark);
            });
            break;
          case ErrorCode.OFFSET_OUT_OF_RANGE:
            await this.resetOutOfRange(connection, state);
            break;
          default:
            // 6/74: the leadership moved (the new state re-adds us); 75: the leader lags behind us.
            this.settings.logger.debug(
              { partition: topicPartitionKey(state.partition.topicPartition), errorCode: data.errorCode },
              'follower fetch refused; backing off',
            );
            this.delay(state);
        }
      }
    }
  }

  /**
   * Our fetch offset is outside the leader's log: above its end (an unclean election made a shorter
   * log the truth) ⇒ truncate to its end; below its start (retention) ⇒ restart our log at its start.
   */
  private async resetOutOfRange(connection: KafkaConnection, state: FetchState): Promise<void> {
    const tp = state.partition.topicPartition;
    const ask = async (timestamp: bigint): Promise<bigint | null> => {
      const response = await connection.request(
        2,
        {
          replicaId: this.settings.localBrokerId,
          isolationLevel: 0,
          topics: [
            {
              name: tp.topic,
              partitions: [
                { partitionIndex: tp.partition, currentLeaderEpoch: state.leaderEpoch, timestamp },
              ],
            },
          ],
        },
        { version: LIST_OFFSETS_VERSION },
      );
      const answer = response.topics[0]?.partitions[0];
      return answer && answer.errorCode === 0 ? (answer.offset ?? null) : null;
    };
    const leaderEnd = await ask(LATEST_TIMESTAMP);
    const leaderStart = await ask(EARLIEST_TIMESTAMP);
    if (leaderEnd === null || leaderStart === null) {
      this.delay(state);
      return;
    }
    await this.mutate(state, async () => {
      const log = state.partition.log;
      if (log.logEndOffset > leaderEnd) {
        await log.truncateTo(leaderEnd);
        state.partition.clampHighWatermarkToLogEnd();
      } else if (log.logEndOffset < leaderStart) {
        await log.truncateFullyAndStartAt(leaderStart);
        state.partition.clampHighWatermarkToLogEnd();
      }
      this.settings.logger.info(
        { partition: topicPartitionKey(tp), leaderStart: String(leaderStart), leaderEnd: String(leaderEnd) },
        'follower fetch offset was out of range; reset',
      );
      state.fetchOffset = log.logEndOffset;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

function groupByTopic<T>(states: FetchState[], entry: (state: FetchState) => T): Array<[string, T[]]> {
  const byTopic = new Map<string, T[]>();
  for (const state of states) {
    const topic = state.partition.topicPartition.topic;
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(entry(state));
  }
  return [...byTopic];
}
