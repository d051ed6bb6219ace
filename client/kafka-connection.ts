import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { componentLogger, type Logger } from '../log/logger.js';
import { decodeResponse, encodeRequest } from '../protocol/codec.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import {
  ApiKey,
  apiDescriptor,
  type RequestBodies,
  type ResponseBodies,
} from '../protocol/messages/index.js';
import {
  API_VERSIONS_MAX,
  apiName,
  negotiateVersions,
  type NegotiatedVersions,
} from './api-version-negotiation.js';
import { BrokerConnectionError, RequestTimeoutError, UnsupportedApiError } from './client-errors.js';

/** A broker's address. */
export interface BrokerAddress {
  host: string;
  port: number;
}

export function formatAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Parses "host:port" (or "[v6]:port"); a missing port means `defaultPort`. */
export function parseAddress(text: string, defaultPort = 9092): BrokerAddress {
  const trimmed = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (v6) return { host: v6[1]!, port: v6[2] === undefined ? defaultPort : Number(v6[2]) };
  const match = /^([^:\s]+)(?::(\d+))?$/.exec(trimmed);
  if (!match) throw new Error(`not a host:port address: ${JSON.stringify(text)}`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`bad port in address ${JSON.stringify(text)}`);
  return { host: match[1]!, port };
}

export interface KafkaConnectionOptions {
  /** Sent in every request header; brokers log it. Default 'sluice'. */
  clientId?: string;
  /** How long to wait for the TCP connection. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default per-request deadline (Kafka's request.timeout.ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** Requests written but not yet answered; further requests wait. Default 64. */
  maxInFlight?: number;
  /** Ask the broker for its versions on connect (default true). Without it `version` must be given. */
  negotiateVersions?: boolean;
  /** Largest response frame accepted. Default 100 MiB. */
  maxResponseBytes?: number;
}

export interface RequestOptions {
  /** Version to send; default the negotiated one. */
  version?: number;
  /** Overrides the connection's request timeout (add max_wait_ms for long-polling fetches). */
  timeoutMs?: number;
}

interface InFlight {
  correlationId: number;
  apiKey: number;
  version: number;
  resolve(frame: Buffer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface ConnectionEvents {
  /** The socket is gone; `error` is set when it ended abnormally. */
  close: [error: Error | undefined];
}

const CLIENT_SOFTWARE_NAME = 'sluice';
const CLIENT_SOFTWARE_VERSION = '0.1.0';

/**
 * One TCP connection to one broker. Requests are pipelined: each is written as soon as it is sent
 * (up to `maxInFlight`), and because a Kafka broker answers a connection's requests in order, responses
 * are matched to the oldest outstanding request — the correlation id is checked, never searched for.
 * Any socket error, framing error or timeout closes the connection and fails every outstanding request;
 * a fresh connection is the caller's (or the pool's) business.
 */
export class KafkaConnection extends EventEmitter<ConnectionEvents> {
  readonly address: string;
  private readonly log: Logger;
  private readonly decoder: FrameDecoder;
  private readonly inFlight: InFlight[] = [];
  /** Requests waiting for an in-flight slot. */
  private readonly waiting: Array<() => void> = [];
  private nextCorrelationId = 1;
  private closedWith: Error | undefined | null = null;
  private versions: NegotiatedVersions = new Map();

  private constructor(
    readonly broker: BrokerAddress,
    private readonly socket: Socket,
    private readonly options: Required<KafkaConnectionOptions>,
  ) {
    super();
    this.address = formatAddress(broker);
    this.log = componentLogger('kafka-connection', { broker: this.address });
    this.decoder = new FrameDecoder(options.maxResponseBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) =>
      this.fail(new BrokerConnectionError(this.address, error.message, { cause: error })),
    );
    socket.on('close', () =>
      this.fail(new BrokerConnectionError(this.address, 'connection closed by broker')),
    );
  }

  /** Opens a connection and (by default) negotiates API versions. */
  static async connect(
    broker: BrokerAddress,
    options: KafkaConnectionOptions = {},
  ): Promise<KafkaConnection> {
    const resolved: Required<KafkaConnectionOptions> = {
      clientId: options.clientId ?? 'sluice',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxInFlight: options.maxInFlight ?? 64,
      negotiateVersions: options.negotiateVersions ?? true,
      maxResponseBytes: options.maxResponseBytes ?? 100 * 1024 * 1024,
    };
    const socket = await openSocket(broker, resolved.connectTimeoutMs);
    const connection = new KafkaConnection(broker, socket, resolved);
    if (resolved.negotiateVersions) {
      try {
        await connection.negotiate();
      } catch (error) {
        connection.close();
        throw error;
      }
    }
    connection.log.debug('connected');
    return connection;
  }

  /** True until the socket closes. */
  get isOpen(): boolean {
    return this.closedWith === null;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** The negotiated version of an API, or undefined if the broker cannot serve it. */
  versionOf(apiKey: number): number | undefined {
    return this.versions.get(apiKey);
  }

  /** Every negotiated (api key → version) pair. */
  negotiatedVersions(): NegotiatedVersions {
    return this.versions;
  }

  /** Sends a request and resolves with its decoded response body. */
  async request<K extends ApiKey>(
    apiKey: K,
    body: RequestBodies[K],
    options: RequestOptions = {},
  ): Promise<ResponseBodies[K]> {
    const version = this.pickVersion(apiKey, options.version);
    const frame = await this.exchange(apiKey, version, body, options.timeoutMs, true);
    return decodeResponse(apiKey, version, frame!).body;
  }

  /** Sends a request the broker will not answer (Produce with acks=0); resolves once written. */
  async send<K extends ApiKey>(
    apiKey: K,
    body: RequestBodies[K],
    options: RequestOptions = {},
  ): Promise<void> {
    const version = this.pickVersion(apiKey, options.version);
    await this.exchange(apiKey, version, body, options.timeoutMs, false);
  }

  /** Closes the socket; outstanding requests fail with BrokerConnectionError. */
  close(): void {
    this.fail(undefined);
  }

  private pickVersion(apiKey: number, requested: number | undefined): number {
    if (requested !== undefined) return requested;
    const version = this.versions.get(apiKey);
    if (version === undefined) {
      if (!this.options.negotiateVersions) {
        const descriptor = apiDescriptor(apiKey);
        if (descriptor) return descriptor.maxVersion;
      }
      throw new UnsupportedApiError(this.address, apiName(apiKey));
    }
    return version;
  }

  private async exchange<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestBodies[K],
    timeoutMs: number | undefined,
    expectResponse: boolean,
  ): Promise<Buffer | undefined> {
    while (this.inFlight.length >= this.options.maxInFlight && this.closedWith === null) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.closedWith !== null) throw this.closedError();
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = this.nextCorrelationId === 0x7fffffff ? 1 : this.nextCorrelationId + 1;
    const bytes = encodeRequest(
      { apiKey, apiVersion: version, correlationId, clientId: this.options.clientId },
      body,
    );
    if (!expectResponse) {
      await new Promise<void>((resolve, reject) =>
        this.socket.write(bytes, (error) =>
          error ? reject(new BrokerConnectionError(this.address, error.message)) : resolve(),
        ),
      );
      return undefined;
    }
    const limit = timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new RequestTimeoutError(this.address, apiName(apiKey), limit);
        this.log.warn(
          { api: apiName(apiKey), correlationId, timeoutMs: limit },
          'request timed out; closing',
        );
        // The rest of the pipeline is stuck behind it: Kafka clients drop the connection here too.
        this.fail(
          new BrokerConnectionError(this.address, `closed after ${error.message}`),
          error,
          correlationId,
        );
      }, limit);
      this.inFlight.push({ correlationId, apiKey, version, resolve, reject, timer });
      this.socket.write(bytes);
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(new BrokerConnectionError(this.address, `bad response framing: ${(error as Error).message}`));
      return;
    }
    for (const frame of frames) {
      const request = this.inFlight.shift();
      if (!request) {
        this.fail(new BrokerConnectionError(this.address, 'response without an outstanding request'));
        return;
      }
      clearTimeout(request.timer);
      const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1;
      if (correlationId !== request.correlationId) {
        const error = new BrokerConnectionError(
          this.address,
          `response correlation id ${correlationId}, expected ${request.correlationId}`,
        );
        request.reject(error);
        this.fail(error);
        return;
      }
      request.resolve(frame);
      this.waiting.shift()?.();
    }
  }

  /** Closes once: every outstanding request is rejected (`special` for the one that caused it). */
  private fail(error: Error | undefined, special?: Error, specialId?: number): void {
    if (this.closedWith !== null) return;
    this.closedWith = error;
    this.socket.destroy();
    const pending = this.inFlight.splice(0);
    const rejection = error ?? new BrokerConnectionError(this.address, 'connection closed');
    for (const request of pending) {
      clearTimeout(request.timer);
      request.reject(special !== undefined && request.correlationId === specialId ? special : rejection);
    }
    for (const wake of this.waiting.splice(0)) wake();
    if (error) this.log.debug({ err: error.message, failedRequests: pending.length }, 'connection failed');
    this.emit('close', error);
  }

  private closedError(): Error {
    return this.closedWith ?? new BrokerConnectionError(this.address, 'connection closed');
  }

  /**
   * ApiVersions at our highest version; a broker that does not speak it answers (per KIP-511) with
   * error 35 and a v0 body listing its range, and we retry once at the highest version it names.
   */
  private async negotiate(): Promise<void> {
    const body = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    let version = API_VERSIONS_MAX;
    for (let attempt = 0; attempt < 2; attempt++) {
      const frame = await this.exchange(ApiKey.ApiVersions, version, body, undefined, true);
      const response = decodeApiVersions(frame!, version);
      if (response.errorCode === 35 && attempt === 0) {
        const theirs = response.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        const next = Math.min(theirs?.maxVersion ?? 0, API_VERSIONS_MAX);
        if (next !== version) {
          version = next;
          continue;
        }
      }
      if (response.errorCode !== 0) {
        throw new BrokerConnectionError(this.address, `ApiVersions failed with error ${response.errorCode}`);
      }
      this.versions = negotiateVersions(response.apiKeys);
      this.log.debug({ versions: Object.fromEntries(this.versions) }, 'api versions negotiated');
      return;
    }
  }
}

/** ApiVersions responses: the fallback for an unsupported version is a v0 body, whatever we asked. */
function decodeApiVersions(frame: Buffer, version: number): ResponseBodies[18] {
  try {
    return decodeResponse(ApiKey.ApiVersions, version, frame).body;
  } catch (error) {
    if (version === 0) throw error;
    return decodeResponse(ApiKey.ApiVersions, 0, frame).body;
  }
}

function openSocket(broker: BrokerAddress, timeoutMs: number): Promise<Socket> {
  const address = formatAddress(broker);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: broker.host, port: broker.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BrokerConnectionError(address, `connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new BrokerConnectionError(address, error.message, { cause: error }));
    });
  });
}
