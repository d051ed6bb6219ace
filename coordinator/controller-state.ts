import type { ClusterState, Versioned } from './cluster-state.js';
import { ZooKeeperMultiError, isZooKeeperError } from './zk-errors.js';
import type { MultiOp, Watcher, ZooKeeperSession } from './zk-session.js';
import { decodeController, encodePartitionState, zkPaths, type PartitionState } from './zk-paths.js';
import type { TopicPartition } from '../protocol/topic-partition.js';

/**
 * What the controller (broker/controller/) reads and writes beyond cluster-state.ts: fenced partition
 * state creation and topic deletion, broker registrations with their czxid (to tell a restarted broker
 * from one that never left), and sluice's controlled-shutdown requests.
 *
 * Fencing: every controller write is one multi whose first op checks /controller_epoch at the version
 * the controller was elected with. A replaced controller fails on op 0 (FencedOutError) and writes
 * nothing; a partition state changed by someone else since it was read fails with BADVERSION on op 1.
 *
 * Layout addition (sluice's, not Kafka's — Kafka's ZooKeeper-era brokers asked the controller by RPC):
 * `/admin/controlled_shutdown/<brokerId>`, ephemeral, owned by the broker that is shutting down:
 * `{"version":1,"status":"requested"|"done","timestamp":"<ms>","partitions_remaining":[{"topic","partition"}]}`.
 * The controller moves leadership away, then writes status "done" (conditional on the version it read).
 */

export const controllerPaths = {
  controlledShutdowns: '/admin/controlled_shutdown',
  controlledShutdown: (brokerId: number) => `/admin/controlled_shutdown/${brokerId}`,
} as const;

export interface ControlledShutdownRequest {
  status: 'requested' | 'done';
  timestamp: number;
  /** Partitions the broker still leads (no other live in-sync replica); only meaningful when done. */
  partitionsRemaining: TopicPartition[];
}

export function encodeControlledShutdownRequest(request: ControlledShutdownRequest): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 1,
      status: request.status,
      timestamp: String(request.timestamp),
      partitions_remaining: request.partitionsRemaining.map((tp) => ({
        topic: tp.topic,
        partition: tp.partition,
      })),
    }),
    'utf8',
  );
}

export function decodeControlledShutdownRequest(brokerId: number, data: Buffer): ControlledShutdownRequest {
  const what = `controlled shutdown request of broker ${brokerId}`;
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    throw new Error(`${what}: not JSON`);
  }
  if (typeof json !== 'object' || json === null) throw new Error(`${what}: not a JSON object`);
  const raw = json as Record<string, unknown>;
  const remaining = Array.isArray(raw.partitions_remaining) ? raw.partitions_remaining : [];
  return {
    status: raw.status === 'done' ? 'done' : 'requested',
    timestamp: Number(raw.timestamp ?? 0),
    partitionsRemaining: remaining.map((entry, index) => {
      const item = entry as Record<string, unknown>;
      if (typeof item.topic !== 'string' || !Number.isInteger(item.partition))
        throw new Error(`${what}: partitions_remaining[${index}] is not {topic, partition}`);
      return { topic: item.topic, partition: item.partition as number };
    }),
  };
}

/** A controller write refused because /controller_epoch moved on: this controller was replaced. */
export class FencedOutError extends Error {
  override readonly name = 'FencedOutError';
  constructor(override readonly cause: unknown) {
    super('controller fenced out: /controller_epoch changed since election (another controller won)');
  }
}

/** True for a fenced multi that failed on its epoch check (op 0). */
export function isFencedOut(error: unknown): boolean {
  return (
    error instanceof FencedOutError ||
    (error instanceof ZooKeeperMultiError &&
      error.failedOpIndex === 0 &&
      (error.codeName === 'BADVERSION' || error.codeName === 'NONODE'))
  );
}

function rethrowFenced(error: unknown): never {
  throw isFencedOut(error) ? new FencedOutError(error) : error;
}

export class ControllerState {
  readonly session: ZooKeeperSession;

  constructor(readonly cluster: ClusterState) {
    this.session = cluster.session;
  }

  /** Live broker ids → czxid of their registration (a new czxid = the broker restarted). */
  async readLiveBrokers(watcher?: Watcher): Promise<Map<number, bigint>> {
    const ids = await this.cluster.listBrokerIds(watcher);
    const stats = await Promise.all(ids.map((id) => this.session.exists(zkPaths.broker(id))));
    const live = new Map<number, bigint>();
    ids.forEach((id, index) => {
      const stat = stats[index];
      if (stat) live.set(id, stat.czxid);
    });
    return live;
  }

  /** Who holds /controller: broker id and owning session; null when nobody. Watch fires on change. */
  async readControllerOwner(watcher?: Watcher): Promise<{ brokerId: number; sessionId: bigint } | null> {
    const stat = await this.session.exists(zkPaths.controller, watcher);
    if (stat === null) return null;
    try {
      const { data, stat: current } = await this.session.getData(zkPaths.controller);
      return { brokerId: decodeController(data).brokerId, sessionId: current.ephemeralOwner };
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return null;
      throw error;
    }
  }

  async readPartitionState(tp: TopicPartition, watcher?: Watcher): Promise<Versioned<PartitionState> | null> {
    return this.cluster.readPartitionState(tp, watcher);
  }

  /**
   * Writes a partition's first state, creating `/partitions` and `/partitions/<p>` in the same fenced
   * multi, so a deleted topic is never resurrected by a late write (the creates fail with NONODE when
   * the topic node is gone). Optimistic: assumes `/partitions` exists and `/partitions/<p>` does not
   * (one round trip for a new partition) and adjusts on NODEEXISTS/NONODE. NODEEXISTS when the state
   * exists already; NONODE when the topic is gone. Returns the znode version (0).
   */
  async createPartitionState(
    tp: TopicPartition,
    state: PartitionState,
    epochVersion: number,
  ): Promise<number> {
    // How many missing parents to create: 0 (none), 1 (/partitions/<p>), 2 (/partitions too).
    let parents = 1;
    for (let attempt = 0; ; attempt++) {
      const ops: MultiOp[] = [];
      if (parents >= 2) ops.push({ type: 'create', path: zkPaths.partitions(tp.topic) });
      if (parents >= 1) ops.push({ type: 'create', path: zkPaths.partition(tp) });
      ops.push({ type: 'create', path: zkPaths.partitionState(tp), data: encodePartitionState(state) });
      try {
        await this.cluster.fencedMulti(epochVersion, ops);
        return 0;
      } catch (error) {
        if (isFencedOut(error) || !(error instanceof ZooKeeperMultiError) || attempt >= 4)
          rethrowFenced(error);
        // Op 0 of the multi is the epoch check, so ops[i] failed at index i + 1.
        const failedOp = ops[error.failedOpIndex - 1];
        const isStateOp = failedOp?.path === zkPaths.partitionState(tp);
        if (error.codeName === 'NODEEXISTS' && !isStateOp)
          parents--; // a parent exists (a sibling made it)
        else if (error.codeName === 'NONODE' && parents < 2)
          parents++; // a parent is missing
        else throw error; // the state exists, or the topic is gone
      }
    }
  }

  /** Conditional (znode version) and fenced update; returns the new version. BADVERSION on a lost race. */
  async updatePartitionState(
    tp: TopicPartition,
    state: PartitionState,
    expectedVersion: number,
    epochVersion: number,
  ): Promise<number> {
    try {
      return await this.cluster.updatePartitionState(tp, state, expectedVersion, epochVersion);
    } catch (error) {
      rethrowFenced(error);
    }
  }

  /**
   * Deletes a topic in fenced multis: partition states and their parents, the topic node, its config,
   * then the /admin/delete_topics request (Kafka's order). Partitions go in batches so a multi stays
   * far below jute.maxbuffer; the last multi removes topic, config and request together. A concurrent
   * change (a node appearing or vanishing) surfaces as NONODE/NOTEMPTY: the caller retries.
   */
  async deleteTopic(topic: string, epochVersion: number, batchSize = 200): Promise<void> {
    const partitionOps: MultiOp[] = [];
    const partitions = await this.childrenOrNull(zkPaths.partitions(topic));
    for (const p of partitions ?? []) {
      // Children are deleted by the names ZooKeeper lists (normally just `state`).
      const partitionPath = zkPaths.partition({ topic, partition: Number(p) });
      for (const child of (await this.childrenOrNull(partitionPath)) ?? []) {
        partitionOps.push({ type: 'delete', path: `${partitionPath}/${child}` });
      }
      partitionOps.push({ type: 'delete', path: partitionPath });
    }
    if (partitions !== null) partitionOps.push({ type: 'delete', path: zkPaths.partitions(topic) });
    for (const child of (await this.childrenOrNull(zkPaths.topic(topic))) ?? []) {
      if (child !== 'partitions')
        partitionOps.push({ type: 'delete', path: `${zkPaths.topic(topic)}/${child}` });
    }
    const finalOps: MultiOp[] = [];
    if ((await this.session.exists(zkPaths.topic(topic))) !== null)
      finalOps.push({ type: 'delete', path: zkPaths.topic(topic) });
    if ((await this.session.exists(zkPaths.topicConfig(topic))) !== null)
      finalOps.push({ type: 'delete', path: zkPaths.topicConfig(topic) });
    if ((await this.session.exists(zkPaths.deleteTopic(topic))) !== null)
      finalOps.push({ type: 'delete', path: zkPaths.deleteTopic(topic) });
    try {
      // Batches of whole partitions' subtrees in order: a child always goes before (or with) its parent.
      while (partitionOps.length > batchSize) {
        await this.cluster.fencedMulti(epochVersion, partitionOps.splice(0, batchSize));
      }
      await this.cluster.fencedMulti(epochVersion, [...partitionOps, ...finalOps]);
    } catch (error) {
      rethrowFenced(error);
    }
  }

  /** Removes a deletion request without deleting anything (delete.topic.enable=false, unknown topic). */
  async dropTopicDeletionRequest(topic: string, epochVersion: number): Promise<void> {
    try {
      await this.cluster.fencedMulti(epochVersion, [{ type: 'delete', path: zkPaths.deleteTopic(topic) }]);
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE') && !isFencedOut(error)) return;
      rethrowFenced(error);
    }
  }

  // ---- controlled shutdown (sluice's addition) ---------------------------------------------------

  async listControlledShutdownRequests(watcher?: Watcher): Promise<number[]> {
    await this.session.ensurePath(controllerPaths.controlledShutdowns);
    const { children } = await this.session.getChildren(controllerPaths.controlledShutdowns, watcher);
    return children
      .map(Number)
      .filter(Number.isInteger)
      .sort((a, b) => a - b);
  }

  async readControlledShutdownRequest(
    brokerId: number,
    watcher?: Watcher,
  ): Promise<Versioned<ControlledShutdownRequest> | null> {
    try {
      const { data, stat } = await this.session.getData(
        controllerPaths.controlledShutdown(brokerId),
        watcher,
      );
      return { value: decodeControlledShutdownRequest(brokerId, data), version: stat.version };
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return null;
      throw error;
    }
  }

  /**
   * Asks for a controlled shutdown: creates the ephemeral request (owned by the caller's session, so it
   * disappears when the broker's session ends) or sets an existing one back to "requested".
   */
  async requestControlledShutdown(brokerId: number): Promise<void> {
    const path = controllerPaths.controlledShutdown(brokerId);
    const data = encodeControlledShutdownRequest({
      status: 'requested',
      timestamp: Date.now(),
      partitionsRemaining: [],
    });
    await this.session.ensurePath(controllerPaths.controlledShutdowns);
    try {
      await this.session.create(path, data, 'ephemeral');
    } catch (error) {
      if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
      await this.session.setData(path, data);
    }
  }

  /** The controller's answer, conditional on the request version it acted on, and fenced. */
  async completeControlledShutdown(
    brokerId: number,
    partitionsRemaining: TopicPartition[],
    expectedVersion: number,
    epochVersion: number,
  ): Promise<void> {
    const data = encodeControlledShutdownRequest({
      status: 'done',
      timestamp: Date.now(),
      partitionsRemaining,
    });
    try {
      await this.cluster.fencedMulti(epochVersion, [
        {
          type: 'setData',
          path: controllerPaths.controlledShutdown(brokerId),
          data,
          version: expectedVersion,
        },
      ]);
    } catch (error) {
      rethrowFenced(error);
    }
  }

  async withdrawControlledShutdown(brokerId: number): Promise<void> {
    try {
      await this.session.delete(controllerPaths.controlledShutdown(brokerId));
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
    }
  }

  private async childrenOrNull(path: string): Promise<string[] | null> {
    try {
      return (await this.session.getChildren(path)).children;
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return null;
      throw error;
    }
  }
}
