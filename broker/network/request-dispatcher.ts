import { setTimeout as sleep } from 'node:timers/promises';
import {
  API_VERSIONS_KEY,
  decodeRequest,
  encodeResponse,
  encodeResponsePieces,
  ProtocolDecodeError,
  readRequestHeaderPrefix,
  Reader,
  UnsupportedVersionError,
  type ApiKey,
  type FramePiece,
  type ResponseBodies,
} from '../../protocol/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { RequestContext } from '../api/api-handler.js';
import type { ApiRegistry } from '../api/registry.js';
import type { BrokerServices } from '../broker-services.js';
import { requestFaults, type RequestFaultRule } from './request-faults.js';

/** What to do with one request frame. */
export type DispatchOutcome =
  { kind: 'respond'; chunks: FramePiece[] } | { kind: 'none' } | { kind: 'disconnect'; reason: string };

/**
 * Turns one request frame into a response frame. Never throws: a frame it cannot serve becomes a
 * disconnect with a reason the connection logs.
 *
 * - ApiVersions at a version we do not handle: the v0 fallback (header v0, error 35, our ranges), so
 *   the client can retry with a version we speak.
 * - Any other unknown api key or version: disconnect. Its response schema is unknown to us, so no
 *   response the client could parse exists (Kafka closes the connection too).
 * - A malformed frame (header or body): disconnect.
 */
export async function dispatchRequest(
  frame: Buffer,
  registry: ApiRegistry,
  broker: BrokerServices,
  listenerName: string,
  clientHost: string,
  signal: AbortSignal,
  appended?: () => void,
): Promise<DispatchOutcome> {
  let prefix: { apiKey: number; apiVersion: number; correlationId: number };
  try {
    prefix = readRequestHeaderPrefix(new Reader(frame));
  } catch (error) {
    return { kind: 'disconnect', reason: `unreadable request header: ${(error as Error).message}` };
  }
  const handler = registry.handlerFor(prefix.apiKey, prefix.apiVersion);
  if (!handler) {
    if (prefix.apiKey === API_VERSIONS_KEY) {
      return { kind: 'respond', chunks: [apiVersionsFallback(prefix.correlationId, registry)] };
    }
    return {
      kind: 'disconnect',
      reason: `unsupported api key ${prefix.apiKey} version ${prefix.apiVersion}`,
    };
  }
  let request;
  try {
    request = decodeRequest(frame);
  } catch (error) {
    if (error instanceof ProtocolDecodeError || error instanceof UnsupportedVersionError) {
      return {
        kind: 'disconnect',
        reason: `malformed ${prefix.apiKey}v${prefix.apiVersion} request: ${error.message}`,
      };
    }
    return { kind: 'disconnect', reason: `cannot decode request: ${String(error)}` };
  }
  const { header, body } = request;
  // Test-only faults (request-faults.ts); no rules in normal running.
  const fault = requestFaults.active ? requestFaults.take(header.apiKey) : undefined;
  if (fault?.action === 'disconnect') {
    logFault(broker, header.apiKey, fault);
    return { kind: 'disconnect', reason: 'test request fault' };
  }
  if (fault?.action === 'delay') {
    logFault(broker, header.apiKey, fault);
    await sleep(fault.delayMs ?? 0, undefined, { signal }).catch(() => undefined);
  }
  let response: ResponseBodies[ApiKey] | null;
  try {
    const context: RequestContext = { header, listenerName, clientHost, signal, appended };
    response = await handler.handle(body as never, context as never, broker);
  } catch (error) {
    broker.logger.error(
      { err: error, apiKey: header.apiKey, apiVersion: header.apiVersion },
      'request handler failed',
    );
    return {
      kind: 'disconnect',
      reason: `handler for api key ${header.apiKey} failed: ${(error as Error).message}`,
    };
  }
  if (fault?.action === 'drop-response') {
    // Logged after the request was handled: a test may rely on its effect (a Produce appended).
    logFault(broker, header.apiKey, fault);
    return { kind: 'none' };
  }
  if (response === null) return { kind: 'none' };
  try {
    return {
      kind: 'respond',
      // Pieces, not one buffer: Fetch records are streamed from the log (broker-connection.ts send).
      chunks: encodeResponsePieces(
        header.apiKey as ApiKey,
        header.apiVersion,
        header.correlationId,
        response as never,
      ),
    };
  } catch (error) {
    broker.logger.error({ err: error, apiKey: header.apiKey }, 'cannot encode response');
    return { kind: 'disconnect', reason: `cannot encode response: ${(error as Error).message}` };
  }
}

function logFault(broker: BrokerServices, apiKey: number, fault: RequestFaultRule): void {
  broker.logger.warn({ apiKey, action: fault.action }, 'test request fault');
}

/** ApiVersions v0 response carrying UNSUPPORTED_VERSION and the ranges we handle. */
export function apiVersionsFallback(correlationId: number, registry: ApiRegistry): Buffer {
  return encodeResponse(API_VERSIONS_KEY, 0, correlationId, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: registry.advertised(),
  });
}
