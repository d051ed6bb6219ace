import { EventEmitter } from 'node:events';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ControllerState } from '../../coordinator/controller-state.js';
import { isZooKeeperError } from '../../coordinator/zk-errors.js';
import type { WatchEvent, ZooKeeperSession } from '../../coordinator/zk-session.js';
import type { ReplicaAssignment } from '../../coordinator/zk-paths.js';
import type { TopicPartition } from '../../protocol/topic-partition.js';
import { componentLogger, type Logger } from '../../log/logger.js';
import { RepeatedWarning } from '../../log/repeated-warning.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig } from '../config.js';
import { ActiveController } from './active-controller.js';
import { ControllerRequestError, topicExistsError } from './controller-errors.js';
import { awaitControlledShutdown } from './controlled-shutdown-request.js';
import type { ReplicaAssignmentOptions } from './replica-assignment.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';
import { planTopicAssignment, type CreateTopicOptions } from './topic-plan.js';

/**
 * The controller role of one broker. Every broker runs one: it contends
 * for the ephemeral /controller (bumping /controller_epoch in the same multi), and while it holds it an
 * ActiveController elects leaders, shrinks ISRs of dead brokers, restores preferred leaders, deletes
 * topics and serves controlled shutdowns. It resigns when /controller is no longer its own, when a
 * fenced write fails, or when the session expires — and contends again once a session is open.
 *
 * The request methods (createTopic, deleteTopic, requestControlledShutdown) work on every broker,
 * controller or not: they write ZooKeeper nodes the active controller acts on.
 */

export interface ControlledShutdownResult {
  /** Partitions the broker still leads: no other live in-sync replica could take over. */
  partitionsRemaining: TopicPartition[];
}

export interface ControllerEvents {
  /** This broker became controller (its state is loaded and repaired). */
  elected: [epoch: number];
  /** This broker stopped being controller. */
  resigned: [];
}

export interface Controller {
  readonly brokerId: number;
  /** True while this broker is the controller. */
  readonly isActive: boolean;
  /** Controller epoch of the current term; of the last term when inactive; -1 if never elected. */
  readonly epoch: number;
  on<E extends keyof ControllerEvents>(event: E, listener: (...args: ControllerEvents[E]) => void): this;
  once<E extends keyof ControllerEvents>(event: E, listener: (...args: ControllerEvents[E]) => void): this;
  off<E extends keyof ControllerEvents>(event: E, listener: (...args: ControllerEvents[E]) => void): this;
  /**
   * Validates and writes /config/topics/<t> and /brokers/topics/<t> (replicas assigned as Kafka does
   * over the live brokers unless `assignment` is given); the active controller then writes each
   * partition's first state. Throws ControllerRequestError (TOPIC_ALREADY_EXISTS 36, INVALID_PARTITIONS
   * 37, INVALID_REPLICATION_FACTOR 38, INVALID_REPLICA_ASSIGNMENT 39, INVALID_TOPIC_EXCEPTION 17).
   */
  createTopic(name: string, options?: CreateTopicOptions): Promise<ReplicaAssignment>;
  /** Marks a topic for deletion (/admin/delete_topics/<t>); UNKNOWN_TOPIC_OR_PARTITION (3) if absent. */
  deleteTopic(name: string): Promise<void>;
  /**
   * Asks the controller to move leadership away from `brokerId` and drop it from ISRs; resolves when
   * done. Call from the shutting-down broker itself (the request node is an ephemeral of this session,
   * and keeps the broker out of leader elections until the session closes). REQUEST_TIMED_OUT (7) when
   * no controller answers in time.
   */
  requestControlledShutdown(
    brokerId: number,
    options?: { timeoutMs?: number },
  ): Promise<ControlledShutdownResult>;
  /** Runs a preferred-leader election now (active controller only, else NOT_CONTROLLER 41). */
  electPreferredLeaders(): Promise<number>;
  /** Stops contending and gives up /controller if held. Does not close the session (the broker does). */
  close(): Promise<void>;
}

export interface StartControllerOptions {
  session: ZooKeeperSession;
  brokerId: number;
  config: Pick<
    BrokerConfig,
    | 'uncleanLeaderElectionEnable'
    | 'autoLeaderRebalanceEnable'
    | 'deleteTopicEnable'
    | 'numPartitions'
    | 'defaultReplicationFactor'
  >;
  logger?: Logger;
  /** Period of the preferred-leader check (auto.leader.rebalance.enable). Default 10 s. */
  leaderRebalanceIntervalMs?: number;
  /** Pause before retrying after an unexpected ZooKeeper failure. Default 500 ms. */
  retryBackoffMs?: number;
  /** Fixes the assignment's start index / shift (tests); random otherwise, as in Kafka. */
  assignment?: ReplicaAssignmentOptions;
}

/** Starts contending; resolves once the first election attempt is decided (see `isActive`). */
export async function startController(options: StartControllerOptions): Promise<Controller> {
  const controller = new ControllerService(options);
  await controller.start();
  return controller;
}

const CLOSE_TIMEOUT_MS = 2_000;

class ControllerService extends EventEmitter<ControllerEvents> implements Controller {
  readonly brokerId: number;
  private readonly session: ZooKeeperSession;
  private readonly cluster: ClusterState;
  private readonly state: ControllerState;
  private readonly queue = new SerialQueue();
  private readonly logger: Logger;
  /** Election and /controller retries while ZooKeeper is away: one line each, then counts. */
  private readonly retries: RepeatedWarning;
  private term: ActiveController | null = null;
  private lastEpoch = -1;
  private closed = false;
  private controllerWatchArmed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private unhook: (() => void) | undefined;
  /** Rejects the task in flight: a call made on an expired session's client may never settle. */
  private abandonInFlight: () => void = () => undefined;
  private abandoned!: Promise<never>;
  private readonly onExpired = () => {
    this.abandonTaskInFlight();
    this.resign('ZooKeeper session expired');
  };
  /** The broker closed the session under us: our /controller went with it. */
  private readonly onSessionClosed = () => {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.abandonTaskInFlight();
    this.resign('ZooKeeper session closed');
  };

  constructor(private readonly options: StartControllerOptions) {
    super();
    this.brokerId = options.brokerId;
    this.session = options.session;
    this.cluster = new ClusterState(options.session);
    this.state = new ControllerState(this.cluster);
    this.logger = options.logger ?? componentLogger('controller', { brokerId: options.brokerId });
    this.retries = new RepeatedWarning(this.logger);
    this.abandonTaskInFlight();
  }

  get isActive(): boolean {
    return this.term !== null && !this.term.isStopped;
  }

  get epoch(): number {
    return this.lastEpoch;
  }

  async start(): Promise<void> {
    await this.cluster.ensureTopLevelPaths();
    this.session.on('expired', this.onExpired);
    this.session.once('closed', this.onSessionClosed);
    // Runs now and on every new session after an expiry: contend again with a fresh view.
    this.unhook = await this.session.onSessionEstablished(() => {
      this.controllerWatchArmed = false;
      return this.serial(() => this.contend()).catch(() => undefined);
    });
  }

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<ReplicaAssignment> {
    const live = await this.cluster.listBrokerIds();
    const assignment = planTopicAssignment(name, options, live, this.options.config, this.options.assignment);
    try {
      await this.cluster.createTopic(name, assignment, options.config ?? {});
    } catch (error) {
      if (isZooKeeperError(error, 'NODEEXISTS')) throw topicExistsError(name);
      throw error;
    }
    this.logger.info({ topic: name, assignment }, 'topic created');
    return assignment;
  }

  async deleteTopic(name: string): Promise<void> {
    try {
      await this.cluster.requestTopicDeletion(name);
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE'))
        throw new ControllerRequestError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `topic ${name} does not exist`,
        );
      throw error;
    }
  }

  requestControlledShutdown(
    brokerId: number,
    { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
  ): Promise<ControlledShutdownResult> {
    return awaitControlledShutdown(this.state, brokerId, timeoutMs);
  }

  electPreferredLeaders(): Promise<number> {
    return this.serial(async () => {
      const term = this.term;
      if (term === null || term.isStopped)
        throw new ControllerRequestError(
          ErrorCode.NOT_CONTROLLER,
          `broker ${this.brokerId} is not the controller`,
        );
      return term.electPreferredLeaders();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.unhook?.();
    this.session.off('expired', this.onExpired);
    this.session.off('closed', this.onSessionClosed);
    // Stop the term first, so the task abandoned below ends quietly instead of scheduling a resync.
    const term = this.term;
    term?.stop();
    this.abandonTaskInFlight();
    await this.serial(async () => {
      if (term === null || this.term !== term) return;
      this.term = null;
      // Handing over at once beats waiting for our session to end; bounded so a dead ZooKeeper
      // cannot hang broker shutdown.
      if (this.session.state === 'connected') {
        await Promise.race([
          this.cluster.resignController(this.brokerId).catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()),
        ]);
      }
      this.logger.info({ epoch: this.lastEpoch }, 'controller resigned (closing)');
      this.emit('resigned');
    });
  }

  // ---- election ----------------------------------------------------------------------------------

  /** One election attempt; when another broker holds /controller, watches it. Inside the queue. */
  private async contend(): Promise<void> {
    if (this.closed || this.isActive) return;
    try {
      const result = await this.cluster.electController(this.brokerId);
      if (result.elected) {
        await this.becomeActive(result.epoch, result.epochVersion);
        return;
      }
      const owner = await this.watchControllerNode();
      // The holder vanished between our attempt and the watch: try again at once.
      if (owner === null) await this.contend();
      else if (owner.brokerId === this.brokerId && owner.sessionId === this.session.sessionId) {
        // Our own earlier attempt committed but its reply was lost (connection loss mid-multi); the
        // epoch moved in the same transaction, so the current epoch is ours.
        const epoch = await this.cluster.readControllerEpoch();
        await this.becomeActive(epoch.value, epoch.version);
      }
    } catch (error) {
      this.retries.warn('election', { err: error }, 'controller election attempt failed; retrying');
      this.retryLater();
    }
  }

  private async becomeActive(epoch: number, epochVersion: number): Promise<void> {
    this.lastEpoch = epoch;
    const term = new ActiveController({
      brokerId: this.brokerId,
      epoch,
      epochVersion,
      cluster: this.cluster,
      state: this.state,
      logger: this.logger.child({ controllerEpoch: epoch }),
      settings: {
        uncleanLeaderElectionEnable: this.options.config.uncleanLeaderElectionEnable,
        autoLeaderRebalanceEnable: this.options.config.autoLeaderRebalanceEnable,
        deleteTopicEnable: this.options.config.deleteTopicEnable,
        leaderRebalanceIntervalMs: this.options.leaderRebalanceIntervalMs ?? 10_000,
        retryBackoffMs: this.options.retryBackoffMs ?? 500,
      },
      serial: (task) => this.serial(task),
      onFencedOut: () =>
        void this.serial(() => this.stepDown('fenced out by a newer controller epoch')).catch(
          () => undefined,
        ),
    });
    this.term = term;
    this.logger.info({ epoch }, 'elected controller');
    try {
      await this.watchControllerNode();
    } catch (error) {
      // Without a watch we would not notice losing /controller. Start over; the next attempt finds
      // the node is ours and adopts it.
      this.retries.warn('watch', { err: error }, 'could not watch /controller after winning it; retrying');
      this.resign('could not watch /controller');
      this.retryLater();
      return;
    }
    await term.start();
    if (!term.isStopped) this.emit('elected', epoch);
  }

  /**
   * Watches /controller (one watch at a time). When it changes: an inactive broker contends; the
   * active one checks the node is still its own (same broker id and session) and steps down if not.
   */
  private async watchControllerNode(): Promise<{ brokerId: number; sessionId: bigint } | null> {
    let watcher: ((event: WatchEvent) => void) | undefined;
    if (!this.controllerWatchArmed) {
      this.controllerWatchArmed = true;
      watcher = (event) => {
        this.controllerWatchArmed = false;
        // After an expiry the session hook contends again.
        if (this.closed || event.type === 'sessionExpired') return;
        void this.serial(() => this.onControllerNodeChanged()).catch(() => undefined);
      };
    }
    try {
      return await this.state.readControllerOwner(watcher);
    } catch (error) {
      if (watcher) this.controllerWatchArmed = false;
      throw error;
    }
  }

  private async onControllerNodeChanged(): Promise<void> {
    if (this.closed) return;
    try {
      const owner = await this.watchControllerNode();
      if (this.isActive) {
        if (owner?.brokerId === this.brokerId && owner.sessionId === this.session.sessionId) return;
        this.resign('/controller is no longer ours');
      }
      if (owner === null) await this.contend();
    } catch (error) {
      this.retries.warn('read', { err: error }, 'reading /controller failed; retrying');
      this.retryLater();
    }
  }

  /** Fenced out: stop, give back /controller if it is still ours (or nobody could win), contend. */
  private async stepDown(reason: string): Promise<void> {
    this.resign(reason);
    try {
      const owner = await this.state.readControllerOwner();
      if (owner?.brokerId === this.brokerId && owner.sessionId === this.session.sessionId)
        await this.cluster.resignController(this.brokerId);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release /controller after being fenced');
    }
    await this.contend();
  }

  private resign(reason: string): void {
    const term = this.term;
    if (term === null) return;
    term.stop();
    this.term = null;
    this.logger.warn({ epoch: this.lastEpoch, reason }, 'resigned as controller');
    this.emit('resigned');
  }

  /**
   * Runs `task` on the one queue. A task still waiting on ZooKeeper when the session expires or closes
   * is abandoned (rejected) so the queue moves on; whatever it might still write is fenced.
   */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(() => Promise.race([task(), this.abandoned]));
  }

  private abandonTaskInFlight(): void {
    this.abandonInFlight();
    this.abandoned = new Promise<never>((_, reject) => {
      this.abandonInFlight = () => reject(new Error('ZooKeeper session lost; controller task abandoned'));
    });
    this.abandoned.catch(() => undefined);
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.serial(() => this.contend()).catch(() => undefined);
    }, this.options.retryBackoffMs ?? 500);
    this.retryTimer.unref();
  }
}
