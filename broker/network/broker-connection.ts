import type { Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError, type StreamedBytes } from '../../protocol/index.js';
import type { Logger } from '../../log/logger.js';
import type { ApiRegistry } from '../api/registry.js';
import type { BrokerServices } from '../broker-services.js';
import { isProduceFrame, MAX_PIPELINED_PRODUCES } from './produce-pipelining.js';
import { dispatchRequest, type DispatchOutcome } from './request-dispatcher.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';
import type { RequestMemoryPool } from './request-memory-pool.js';

export interface ConnectionOptions {
  listenerName: string;
  clientHost: string;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  /** A frame must arrive whole within this long of its first byte (sluice.request.read.timeout.ms). */
  requestReadTimeoutMs: number;
  /** Broker-wide budget for request bytes (queued.max.request.bytes). */
  memoryPool: RequestMemoryPool;
  registry: ApiRegistry;
  broker: BrokerServices;
  logger: Logger;
}

/** Stop reading from a client that pipelines faster than we serve once this much is queued. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * One client connection: frames in, requests served in arrival order, responses in the same order.
 * One request at a time, except that Produce requests may overlap once the one before has appended
 * (produce-pipelining.ts). Anything wrong with what the client sends (oversized frame, malformed request, unsupported
 * API) closes this connection only, with a log line saying why.
 */
export class BrokerConnection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Pool bytes this connection holds: frames claimed and not yet served. */
  private claimedBytes = 0;
  private cancelPoolWait: (() => void) | null = null;
  /** Runs while a frame is partly read; closes the connection when it fires (slow-read deadline). */
  private readDeadline: NodeJS.Timeout | null = null;
  private processing = false;
  /** Requests dispatched whose responses are not yet written, and whether all of them are Produce. */
  private inFlight = 0;
  private inFlightAreProduces = true;
  /** Settles once every dispatched request's response has been written (in request order). */
  /** Responses leave in request order: each waits for its outcome, then writes (see send). */
  private readonly responses = new SerialQueue();
  private closed = false;
  private readonly abort = new AbortController();
  readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes, (size) => this.claim(size));
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0 && Number.isFinite(options.idleTimeoutMs)) {
      socket.setTimeout(Math.min(options.idleTimeoutMs, 2 ** 31 - 1));
      socket.on('timeout', () => {
        if (this.processing || this.inFlight > 0) return;
        this.close('idle timeout (connections.max.idle.ms)', 'debug');
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.options.logger.debug({ err: error.message }, 'socket error'));
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.abort.abort();
        this.releaseAll();
        resolve();
      }),
    );
  }

  /** Closes the connection, logging why. */
  close(reason: string, level: 'debug' | 'info' | 'warn' = 'info'): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.options.logger[level]({ reason }, 'closing connection');
    this.releaseAll();
    this.socket.destroy();
  }

  private claim(size: number): boolean {
    if (!this.options.memoryPool.tryClaim(size)) return false;
    this.claimedBytes += size;
    return true;
  }

  private release(size: number): void {
    if (this.closed) return; // releaseAll gave back everything this connection held
    this.claimedBytes -= size;
    this.options.memoryPool.release(size);
  }

  /** On close: the pool gets back every byte this connection held (queued, partial, in flight). */
  private releaseAll(): void {
    this.cancelPoolWait?.();
    this.cancelPoolWait = null;
    this.clearReadDeadline();
    const held = this.claimedBytes;
    this.claimedBytes = 0;
    this.options.memoryPool.release(held);
  }

  /** The pool refused a frame: stop reading until bytes are released, then retry the claim. */
  private waitForPool(): void {
    this.socket.pause();
    this.clearReadDeadline(); // the broker, not the client, is holding the frame up
    this.cancelPoolWait = this.options.memoryPool.whenReleased(() => {
      this.cancelPoolWait = null;
      if (this.closed) return;
      this.acceptFrames(() => this.decoder.resume());
    });
  }

  private clearReadDeadline(): void {
    if (this.readDeadline !== null) clearTimeout(this.readDeadline);
    this.readDeadline = null;
  }

  /** Arms the deadline when a frame is partly read, restarts it per frame, clears it between frames. */
  private trackReadDeadline(framesCompleted: boolean): void {
    const timeoutMs = this.options.requestReadTimeoutMs;
    if (framesCompleted || this.decoder.bufferedBytes === 0) this.clearReadDeadline();
    if (this.decoder.bufferedBytes === 0 || this.decoder.waitingForClaim) return;
    if (this.readDeadline !== null || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) return;
    this.readDeadline = setTimeout(
      () => {
        this.readDeadline = null;
        // Paused by us (queue full): the client is not the slow one; look again later.
        if (this.socket.isPaused()) this.trackReadDeadline(false);
        else this.close('request not read in time (sluice.request.read.timeout.ms)', 'warn');
      },
      Math.min(timeoutMs, 2 ** 31 - 1),
    );
  }

  private onData(chunk: Buffer): void {
    this.acceptFrames(() => this.decoder.push(chunk));
  }

  private acceptFrames(decode: () => Buffer[]): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = decode();
    } catch (error) {
      const reason =
        error instanceof FrameTooLargeError
          ? `${error.message} (socket.request.max.bytes)`
          : `unreadable frame: ${(error as Error).message}`;
      this.close(reason, 'warn');
      return;
    }
    for (const frame of frames) {
      this.queue.push(frame);
      this.queuedBytes += frame.length;
    }
    if (this.decoder.waitingForClaim) this.waitForPool();
    else if (this.queuedBytes > MAX_QUEUED_BYTES) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
    this.trackReadDeadline(frames.length > 0);
    if (!this.processing && this.queue.length > 0) void this.processQueue();
  }

  private async processQueue(): Promise<void> {
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        this.queuedBytes -= frame.length;
        const waiting = this.decoder.waitingForClaim;
        if (this.queuedBytes <= MAX_QUEUED_BYTES / 2 && this.socket.isPaused() && !waiting) {
          this.socket.resume();
        }
        const produce = isProduceFrame(frame);
        // Only Produce overlaps Produce (bounded); anything else starts once all before it answered.
        const mayOverlap = produce && this.inFlightAreProduces && this.inFlight < MAX_PIPELINED_PRODUCES;
        if (!mayOverlap) await this.responses.idle();
        if (this.closed) return;
        let appended!: () => void;
        const appendsDone = new Promise<void>((resolve) => (appended = resolve));
        const outcome = dispatchRequest(
          frame,
          this.options.registry,
          this.options.broker,
          this.options.listenerName,
          this.options.clientHost,
          this.abort.signal,
          produce ? appended : undefined,
        );
        this.inFlight++;
        this.inFlightAreProduces = produce;
        const written = this.responses
          .run(async () => {
            const result = await outcome.finally(() => this.release(frame.length));
            this.inFlight--;
            if (this.inFlight === 0) this.inFlightAreProduces = true;
            await this.send(result);
          })
          .catch((error: unknown) => this.close(`unexpected error: ${(error as Error).message}`, 'warn'));
        // The next request may start when this one has answered, or (Produce) has appended.
        await (produce ? Promise.race([appendsDone, outcome]) : written);
      }
    } catch (error) {
      this.close(`unexpected error: ${(error as Error).message}`, 'warn');
    } finally {
      this.processing = false;
    }
  }

  /**
   * Writes one response (responses leave in request order: callers run it on `responses`). Pieces in
   * memory go out in one corked write; streamed record sets are read a piece at a time, each read
   * overlapping the write of the one before, waiting for the socket to drain (back-pressure), so a
   * response holds at most two pieces however large it is.
   */
  private async send(outcome: DispatchOutcome): Promise<void> {
    if (this.closed) return;
    if (outcome.kind === 'disconnect') {
      this.close(outcome.reason, 'warn');
      return;
    }
    if (outcome.kind !== 'respond') return;
    let flushed = true;
    this.socket.cork();
    for (const piece of outcome.chunks) {
      if (Buffer.isBuffer(piece)) {
        flushed = this.socket.write(piece);
        continue;
      }
      this.socket.uncork();
      await this.stream(piece);
      if (this.closed) return;
      this.socket.cork();
    }
    this.socket.uncork();
    if (!flushed) await this.drained();
  }

  private async stream(bytes: StreamedBytes): Promise<void> {
    const pieces = bytes.pieces()[Symbol.asyncIterator]();
    let next = pieces.next();
    let written = 0;
    try {
      for (;;) {
        const { value, done } = await next;
        if (done) break;
        written += value.length;
        if (written < bytes.length)
          next = pieces.next(); // read ahead while this piece drains
        else next = Promise.resolve({ value: undefined, done: true });
        if (!this.socket.write(value)) await this.drained();
        if (this.closed) return;
      }
    } finally {
      // A closed connection leaves a read ahead behind; its outcome no longer matters.
      next.catch(() => undefined);
    }
    if (written !== bytes.length) {
      throw new Error(`streamed ${written} of ${bytes.length} announced record bytes`);
    }
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}
