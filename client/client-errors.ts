import { KafkaProtocolError } from '../protocol/errors.js';

/**
 * Errors raised by the client layer. Each says whether retrying can help, so callers (producer,
 * consumer, CLI) decide between retrying, refreshing metadata and giving up without parsing messages.
 */

/** The socket could not be opened, or closed/failed while requests were outstanding. Retriable. */
export class BrokerConnectionError extends Error {
  override readonly name = 'BrokerConnectionError';
  readonly retriable = true;
  constructor(
    readonly address: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`broker ${address}: ${reason}`, options);
  }
}

/** No response arrived within the request timeout. Retriable (the connection is closed). */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly retriable = true;
  constructor(
    readonly address: string,
    readonly apiName: string,
    readonly timeoutMs: number,
  ) {
    super(`broker ${address}: no ${apiName} response within ${timeoutMs} ms`);
  }
}

/** The broker does not speak any version of an API that this client can encode. Not retriable. */
export class UnsupportedApiError extends Error {
  override readonly name = 'UnsupportedApiError';
  readonly retriable = false;
  constructor(
    readonly address: string,
    readonly apiName: string,
  ) {
    super(`broker ${address} supports no version of ${apiName} that this client speaks`);
  }
}

/** No broker could be found (bootstrap list exhausted, or none registered in ZooKeeper). Retriable. */
export class NoBrokersAvailableError extends Error {
  override readonly name = 'NoBrokersAvailableError';
  readonly retriable = true;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`no broker available: ${detail}`, options);
  }
}

/** Throws KafkaProtocolError for a non-zero error code found in a response body. */
export function throwIfErrorCode(code: number, detail?: string): void {
  if (code !== 0) throw new KafkaProtocolError(code, detail);
}

/** Whether an error from this layer (or a Kafka error code) may succeed on retry. */
export function isRetriable(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'retriable' in error &&
    (error as { retriable: unknown }).retriable === true
  );
}
