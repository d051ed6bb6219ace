import type {
  ApiKey,
  KnownApi,
  RequestBodies,
  ResponseBodies,
  TypedRequestHeader,
} from '../../protocol/index.js';
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
export interface ApiHandler<K extends ApiKey = ApiKey> extends ApiHandling<K> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** What a handler file writes: how to answer one request of its API. */
export interface ApiHandling<K extends ApiKey> {
  handle(
    body: RequestBodies[K],
    context: RequestContext<K>,
    broker: BrokerServices,
  ): Promise<ResponseBodies[K] | null>;
}

/**
 * A handler for `api` (from protocol/messages/): the key and version range come from its declaration,
 * so the broker serves exactly the versions the codec speaks.
 */
export function defineApiHandler<A extends KnownApi>(
  api: A,
  handling: ApiHandling<A['apiKey']>,
): ApiHandler<A['apiKey']> {
  return {
    apiKey: api.apiKey,
    minVersion: api.minVersion,
    maxVersion: api.maxVersion,
    handle: (body, context, broker) => handling.handle(body, context, broker),
  };
}
