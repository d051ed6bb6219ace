/**
 * Live sessions: timeouts, expiry deadlines and which connection currently carries each session.
 * Which sessions exist is durable state (the data tree's session table); deadlines are not: after a
 * restart every restored session gets a full timeout to come back, as in ZooKeeper.
 */
import { randomBytes } from 'node:crypto';

export interface LiveSession {
  readonly sessionId: bigint;
  readonly passwd: Buffer;
  timeoutMs: number;
  expiresAt: number;
  /** The connection carrying the session now, if any (typed loosely to avoid a module cycle). */
  connection: { close(): void } | null;
  /** Set once closeSession/expiry has started, so nothing else touches the session. */
  closing: boolean;
}

export class SessionTracker {
  private readonly sessions = new Map<bigint, LiveSession>();
  private nextSessionId: bigint;

  constructor() {
    // ZooKeeper's scheme for server id 0: ((ms << 24) as a 64-bit value) >>> 8, so ids start from the
    // clock and do not repeat across restarts.
    this.nextSessionId = BigInt.asUintN(64, BigInt(Date.now()) << 24n) >> 8n;
  }

  newSessionId(): bigint {
    return this.nextSessionId++;
  }

  static newPassword(): Buffer {
    return randomBytes(16);
  }

  add(sessionId: bigint, passwd: Buffer, timeoutMs: number, now = Date.now()): LiveSession {
    if (sessionId >= this.nextSessionId) this.nextSessionId = sessionId + 1n;
    const session: LiveSession = {
      sessionId,
      passwd,
      timeoutMs,
      expiresAt: now + timeoutMs,
      connection: null,
      closing: false,
    };
    this.sessions.set(sessionId, session);
    return session;
  }

  get(sessionId: bigint): LiveSession | undefined {
    return this.sessions.get(sessionId);
  }

  remove(sessionId: bigint): void {
    this.sessions.delete(sessionId);
  }

  touch(session: LiveSession, now = Date.now()): void {
    session.expiresAt = now + session.timeoutMs;
  }

  /** Sessions whose deadline has passed and that are not already closing. */
  expired(now = Date.now()): LiveSession[] {
    const result: LiveSession[] = [];
    for (const session of this.sessions.values()) {
      if (!session.closing && session.expiresAt <= now) result.push(session);
    }
    return result;
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<LiveSession> {
    return this.sessions.values();
  }
}
