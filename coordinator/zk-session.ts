import { EventEmitter } from 'node:events';
import {
  createClient,
  CreateMode as ClientCreateMode,
  type Client,
  type Event as ClientEvent,
  type Stat as ClientStat,
  type Transaction,
} from 'node-zookeeper-client';
import { componentLogger } from '../log/logger.js';
import { ZooKeeperError, ZooKeeperMultiError, isZooKeeperError } from './zk-errors.js';
import { toZnodeStat, type ZnodeStat } from './zk-stat.js';

/**
 * A promise-based ZooKeeper session over `node-zookeeper-client`.
 *
 * One `ZooKeeperSession` outlives the ZooKeeper sessions under it: when the server expires the session,
 * outstanding watchers receive a `sessionExpired` event, a new session is opened on the same connection
 * string, and every `onSessionEstablished` hook runs again so that callers re-create their ephemerals and
 * watches. Within one ZooKeeper session, a dropped connection is resumed by the client library, which
 * re-arms watches with setWatches.
 */

const log = componentLogger('zk-session');

/** Reads re-issued after a dropped connection before the error reaches the caller. */
const READ_RETRIES_ON_CONNECTION_LOSS = 3;

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential';

const CREATE_MODE: Record<CreateMode, number> = {
  persistent: ClientCreateMode.PERSISTENT,
  ephemeral: ClientCreateMode.EPHEMERAL,
  'persistent-sequential': ClientCreateMode.PERSISTENT_SEQUENTIAL,
  'ephemeral-sequential': ClientCreateMode.EPHEMERAL_SEQUENTIAL,
};

export type WatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged' | 'sessionExpired';

export interface WatchEvent {
  type: WatchEventType;
  path: string;
}

export type Watcher = (event: WatchEvent) => void;

const EVENT_TYPE: Record<number, WatchEventType> = {
  1: 'created',
  2: 'deleted',
  3: 'dataChanged',
  4: 'childrenChanged',
};

export type MultiOp =
  | { type: 'create'; path: string; data?: Buffer; mode?: CreateMode }
  | { type: 'setData'; path: string; data: Buffer; version?: number }
  | { type: 'delete'; path: string; version?: number }
  | { type: 'check'; path: string; version: number };

export type MultiResult =
  | { type: 'create'; path: string }
  | { type: 'setData'; stat: ZnodeStat }
  | { type: 'delete' }
  | { type: 'check' };

export interface ZooKeeperSessionOptions {
  /** Requested session timeout; the server clamps it to [2, 20] × its tickTime. Default 15 s. */
  sessionTimeoutMs?: number;
  /** How long `connect` waits for the first session. Default 15 s. */
  connectTimeoutMs?: number;
  /** Upper bound of the random pause between reconnect rounds. Default 250 ms. */
  spinDelayMs?: number;
  /** Join an existing session instead of opening a new one (tools and tests). */
  resume?: SessionCredentials;
  /** Open a new session when the server expires ours (default true). */
  renewOnExpiry?: boolean;
}

export interface SessionCredentials {
  sessionId: Buffer;
  password: Buffer;
}

export type SessionHook = (session: ZooKeeperSession) => void | Promise<void>;

export type SessionState = 'connected' | 'disconnected' | 'closed';

interface SessionEvents {
  connected: [];
  disconnected: [];
  expired: [];
  /** A new ZooKeeper session is open and every hook has run. */
  sessionEstablished: [sessionId: bigint];
  closed: [];
}

type ClientError = Error & { code?: unknown };

/** `node-zookeeper-client` internals we reach for, each with a reason at the use site. */
interface ClientInternals {
  connectionManager?: { socket?: { destroy(): void } };
}
interface TransactionInternals {
  ops: Array<{ version?: number }>;
}

function toError(error: ClientError, operation: string, path: string | undefined): Error {
  return typeof error.code === 'number' ? new ZooKeeperError(error.code, path, operation) : error;
}

function parentOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}

export class ZooKeeperSession extends EventEmitter<SessionEvents> {
  private client: Client;
  private readonly hooks = new Set<SessionHook>();
  /** Watchers armed on the current ZooKeeper session; told `sessionExpired` when it ends. */
  private armedWatchers = new Set<Watcher>();
  private currentState: SessionState = 'disconnected';
  private renewing: Promise<void> | undefined;

  private constructor(
    readonly connectionString: string,
    private readonly options: Required<Omit<ZooKeeperSessionOptions, 'resume'>>,
    resume: SessionCredentials | undefined,
  ) {
    super();
    this.client = this.newClient(resume);
  }

  /** Opens a session and resolves once the server has accepted it. */
  static async connect(
    connectionString: string,
    options: ZooKeeperSessionOptions = {},
  ): Promise<ZooKeeperSession> {
    const session = new ZooKeeperSession(
      connectionString,
      {
        sessionTimeoutMs: options.sessionTimeoutMs ?? 15_000,
        connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
        spinDelayMs: options.spinDelayMs ?? 250,
        renewOnExpiry: options.renewOnExpiry ?? true,
      },
      options.resume,
    );
    await session.waitForFirstSession();
    return session;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The current ZooKeeper session id (what `ephemeralOwner` of our ephemerals holds). */
  get sessionId(): bigint {
    return this.client.getSessionId().readBigInt64BE(0);
  }

  /** Session timeout the server granted. */
  get negotiatedTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  sessionCredentials(): SessionCredentials {
    return { sessionId: this.client.getSessionId(), password: this.client.getSessionPassword() };
  }

  /**
   * Runs `hook` now (on the current session) and again on every new session after an expiry.
   * Returns a function that unregisters it.
   */
  async onSessionEstablished(hook: SessionHook): Promise<() => void> {
    this.hooks.add(hook);
    await hook(this);
    return () => this.hooks.delete(hook);
  }

  create(path: string, data?: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.create(path, data ?? Buffer.alloc(0), CREATE_MODE[mode], (error, created) =>
        error ? reject(toError(error as ClientError, 'create', path)) : resolve(created),
      );
    });
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZnodeStat }> {
    return this.read(() => this.getDataOnce(path, watcher));
  }

  private getDataOnce(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZnodeStat }> {
    return new Promise((resolve, reject) => {
      const callback = (error: unknown, data: Buffer, stat: ClientStat) =>
        error
          ? reject(toError(error as ClientError, 'getData', path))
          : resolve({ data: data ?? Buffer.alloc(0), stat: toZnodeStat(stat) });
      if (watcher) this.client.getData(path, this.arm(watcher), callback);
      else this.client.getData(path, callback);
    });
  }

  setData(path: string, data: Buffer, version = -1): Promise<ZnodeStat> {
    return new Promise((resolve, reject) => {
      this.client.setData(path, data, version, (error, stat) =>
        error ? reject(toError(error as ClientError, 'setData', path)) : resolve(toZnodeStat(stat)),
      );
    });
  }

  /** The node's Stat, or null if absent. A watcher is armed either way (created/changed/deleted). */
  exists(path: string, watcher?: Watcher): Promise<ZnodeStat | null> {
    return this.read(() => this.existsOnce(path, watcher));
  }

  private existsOnce(path: string, watcher?: Watcher): Promise<ZnodeStat | null> {
    return new Promise((resolve, reject) => {
      const callback = (error: unknown, stat: ClientStat) =>
        error
          ? reject(toError(error as ClientError, 'exists', path))
          : resolve(stat ? toZnodeStat(stat) : null);
      if (watcher) this.client.exists(path, this.arm(watcher), callback);
      else this.client.exists(path, callback);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZnodeStat }> {
    return this.read(() => this.getChildrenOnce(path, watcher));
  }

  private getChildrenOnce(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZnodeStat }> {
    return new Promise((resolve, reject) => {
      const callback = (error: unknown, children: string[], stat: ClientStat) =>
        error
          ? reject(toError(error as ClientError, 'getChildren', path))
          : resolve({ children, stat: toZnodeStat(stat) });
      if (watcher) this.client.getChildren(path, this.arm(watcher), callback);
      else this.client.getChildren(path, callback);
    });
  }

  delete(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.remove(path, version, (error) =>
        error ? reject(toError(error as ClientError, 'delete', path)) : resolve(),
      );
    });
  }

  /** Atomic multi. On failure throws ZooKeeperMultiError carrying every op's result code. */
  multi(ops: MultiOp[]): Promise<MultiResult[]> {
    const transaction = this.client.transaction();
    // node-zookeeper-client writes `version || -1`, turning an explicit version 0 into "any version";
    // we set the version on the queued op ourselves so that 0 means 0.
    const queued = (transaction as unknown as TransactionInternals).ops;
    for (const op of ops) {
      switch (op.type) {
        case 'create':
          transaction.create(op.path, op.data ?? Buffer.alloc(0), CREATE_MODE[op.mode ?? 'persistent']);
          break;
        case 'setData':
          transaction.setData(op.path, op.data, op.version ?? -1);
          queued[queued.length - 1]!.version = op.version ?? -1;
          break;
        case 'delete':
          transaction.remove(op.path, op.version ?? -1);
          queued[queued.length - 1]!.version = op.version ?? -1;
          break;
        case 'check':
          transaction.check(op.path, op.version);
          queued[queued.length - 1]!.version = op.version;
          break;
      }
    }
    return new Promise((resolve, reject) => commit(transaction, ops, resolve, reject));
  }

  /** Creates `path` and any missing ancestors as empty persistent nodes; existing nodes are fine. */
  async ensurePath(path: string): Promise<void> {
    if (path === '/' || path === '') return;
    if ((await this.exists(path)) !== null) return;
    await this.ensurePath(parentOf(path));
    try {
      await this.create(path);
    } catch (error) {
      if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
    }
  }

  /** Deletes `path` and everything under it; a missing node is fine. Not atomic. */
  async deleteRecursive(path: string): Promise<void> {
    let children: string[];
    try {
      ({ children } = await this.getChildren(path));
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return;
      throw error;
    }
    for (const child of children) await this.deleteRecursive(`${path === '/' ? '' : path}/${child}`);
    try {
      await this.delete(path);
    } catch (error) {
      if (isZooKeeperError(error, 'NOTEMPTY')) {
        // A child was created meanwhile (another session writing under the tree): delete it too.
        await this.deleteRecursive(path);
        return;
      }
      if (!isZooKeeperError(error, 'NONODE')) throw error;
    }
  }

  /** getData plus a promise of the next event on the node (dataChanged, deleted or sessionExpired). */
  async watchData(path: string): Promise<{ data: Buffer; stat: ZnodeStat; next: Promise<WatchEvent> }> {
    const { watcher, next } = nextEvent();
    const result = await this.getData(path, watcher);
    return { ...result, next };
  }

  /** getChildren plus a promise of the next event (childrenChanged, deleted or sessionExpired). */
  async watchChildren(
    path: string,
  ): Promise<{ children: string[]; stat: ZnodeStat; next: Promise<WatchEvent> }> {
    const { watcher, next } = nextEvent();
    const result = await this.getChildren(path, watcher);
    return { ...result, next };
  }

  /** exists plus a promise of the next event (created, dataChanged, deleted or sessionExpired). */
  async watchExists(path: string): Promise<{ stat: ZnodeStat | null; next: Promise<WatchEvent> }> {
    const { watcher, next } = nextEvent();
    const stat = await this.exists(path, watcher);
    return { stat, next };
  }

  /** Ends the session (its ephemerals go) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    const wasConnected = this.currentState === 'connected';
    this.currentState = 'closed';
    this.hooks.clear();
    const client = this.client;
    if (wasConnected) {
      // close() queues closeSession; the server answers and drops the socket, and the client then says
      // DISCONNECTED. Bound the wait: a dead server must not hang shutdown.
      const gone = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        client.once('disconnected', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      client.close();
      await gone;
    } else {
      client.close();
    }
    // The library has no way to stop a reconnect loop except closing its socket.
    (client as unknown as ClientInternals).connectionManager?.socket?.destroy();
    this.armedWatchers.clear();
    this.emit('closed');
  }

  /**
   * Runs a read, re-issuing it when the connection drops before the answer arrives (CONNECTIONLOSS).
   * A read decides nothing on the server, so asking again is safe, as Kafka's ZooKeeperClient does;
   * the client library queues the request until it has reconnected, and arms a watcher only on success.
   * Writes are not retried here: whether a lost create or setData was applied is the caller's question.
   */
  private async read<T>(attempt: () => Promise<T>): Promise<T> {
    for (let lost = 0; ; lost++) {
      try {
        return await attempt();
      } catch (error) {
        const again =
          lost < READ_RETRIES_ON_CONNECTION_LOSS &&
          this.currentState !== 'closed' &&
          isZooKeeperError(error, 'CONNECTIONLOSS');
        if (!again) throw error;
        log.debug({ err: error, attempt: lost + 1 }, 'read lost with the connection; asking again');
      }
    }
  }

  private arm(watcher: Watcher): (event: ClientEvent) => void {
    const watchers = this.armedWatchers;
    let fired = false;
    const once: Watcher = (event) => {
      if (fired) return;
      fired = true;
      watchers.delete(once);
      watcher(event);
    };
    watchers.add(once);
    return (event: ClientEvent) => {
      const type = EVENT_TYPE[event.getType()];
      if (type !== undefined) once({ type, path: event.getPath() });
    };
  }

  private newClient(resume?: SessionCredentials): Client {
    const client = createClient(this.connectionString, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: this.options.spinDelayMs,
      retries: 0,
      ...(resume ? { sessionId: resume.sessionId, sessionPassword: resume.password } : {}),
    } as Parameters<typeof createClient>[1]);
    client.on('connected', () => {
      if (this.client !== client || this.currentState === 'closed') return;
      this.currentState = 'connected';
      this.emit('connected');
    });
    client.on('disconnected', () => {
      if (this.client !== client || this.currentState === 'closed') return;
      this.currentState = 'disconnected';
      this.emit('disconnected');
    });
    client.on('expired', () => {
      if (this.client !== client || this.currentState === 'closed') return;
      this.onExpired();
    });
    client.connect();
    return client;
  }

  private async waitForFirstSession(): Promise<void> {
    const client = this.client;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        void this.close();
        reject(
          new Error(
            `could not open a ZooKeeper session at ${this.connectionString} within ${this.options.connectTimeoutMs} ms`,
          ),
        );
      }, this.options.connectTimeoutMs);
      const onConnected = () => {
        cleanup();
        resolve();
      };
      const onExpired = () => {
        cleanup();
        void this.close();
        reject(new ZooKeeperError(-112, undefined, 'connect'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connected', onConnected);
        client.off('expired', onExpired);
      };
      client.on('connected', onConnected);
      client.on('expired', onExpired);
    });
  }

  private onExpired(): void {
    log.warn({ connectionString: this.connectionString }, 'ZooKeeper session expired');
    this.currentState = 'disconnected';
    const lost = this.armedWatchers;
    this.armedWatchers = new Set();
    for (const watcher of lost) watcher({ type: 'sessionExpired', path: '' });
    this.emit('expired');
    if (!this.options.renewOnExpiry) {
      void this.close();
      return;
    }
    // Calls made from now on queue in the new client until its session is open.
    this.client = this.newClient();
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
  }

  private async renew(): Promise<void> {
    const client = this.client;
    if (this.currentState !== 'connected') {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (this.client !== client || this.currentState === 'closed' || this.currentState === 'connected') {
            this.off('connected', check);
            this.off('closed', check);
            resolve();
          }
        };
        this.on('connected', check);
        this.on('closed', check);
      });
    }
    if (this.client !== client || this.currentState === 'closed') return;
    for (const hook of this.hooks) {
      try {
        await hook(this);
      } catch (error) {
        log.error({ err: error }, 'session hook failed on the new session');
      }
    }
    this.emit('sessionEstablished', this.sessionId);
  }
}

function nextEvent(): { watcher: Watcher; next: Promise<WatchEvent> } {
  let watcher!: Watcher;
  const next = new Promise<WatchEvent>((resolve) => (watcher = resolve));
  return { watcher, next };
}

interface ClientMultiResult {
  type: number;
  path?: string;
  stat?: ClientStat;
  err?: number;
}

const OP_CREATE = 1;
const OP_DELETE = 2;
const OP_SET_DATA = 5;
const OP_CHECK = 13;

function commit(
  transaction: Transaction,
  ops: MultiOp[],
  resolve: (results: MultiResult[]) => void,
  reject: (error: Error) => void,
): void {
  transaction.commit((error, rawResults) => {
    const results = (rawResults ?? []) as ClientMultiResult[];
    if (error) {
      const codes = results.map((result) => result.err ?? 0);
      const failedOpIndex = codes.findIndex((code) => code !== 0);
      if (failedOpIndex < 0) {
        reject(toError(error as ClientError, 'multi', undefined));
        return;
      }
      reject(new ZooKeeperMultiError(codes[failedOpIndex]!, ops[failedOpIndex]?.path, failedOpIndex, codes));
      return;
    }
    const converted: MultiResult[] = [];
    for (const result of results) {
      if (result.type === OP_CREATE) converted.push({ type: 'create', path: result.path ?? '' });
      else if (result.type === OP_SET_DATA && result.stat)
        converted.push({ type: 'setData', stat: toZnodeStat(result.stat) });
      else if (result.type === OP_DELETE) converted.push({ type: 'delete' });
      else if (result.type === OP_CHECK) converted.push({ type: 'check' });
      else {
        reject(new Error(`unexpected multi result type ${result.type}`));
        return;
      }
    }
    resolve(converted);
  });
}
