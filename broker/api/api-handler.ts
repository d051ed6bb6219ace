import type { ApiKey, RequestBodies, ResponseBodies, TypedRequestHeader } from '../../protocol/index.js';
import type { BrokerServices } from '../broker-services.js';

/** What a handler knows about the request besides its body. */
export interface RequestContext<K extends ApiKey = ApiKey> {
  header: TypedRequestHeader<K>;
  /** Name of the listener the connection arrived on (which advertised address to hand out). */
  listenerName: string;
  /** The client's address as Kafka shows it in group descriptions ("/127.0.0.1"). */
  clientHost: string;
  /** Aborted when the connection closes or the broker shuts down (long polls stop waiting). */
  signal: AbortSignal;
  /**
   * Produce on a pipelining connection: called once every partition of the request has been appended
   * (or refused), so the next Produce may append while this one waits for acks
   * (network/produce-pipelining.ts).
   */
  appended?: () => void;
}

/**
 * One Kafka API served by the broker: its key, the version range it handles (what ApiVersions
 * advertises), and the handler. A null response means "send nothing" (Produce with acks=0).
 */
export interface ApiHandler<K extends ApiKey = ApiKey> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(
    body: RequestBodies[K],
    context: RequestContext<K>,
    broker: BrokerServices,
  ): Promise<ResponseBodies[K] | null>;
}

export function defineApiHandler<K extends ApiKey>(handler: ApiHandler<K>): ApiHandler<K> {
  return handler;
}
