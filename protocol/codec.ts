import { ProtocolDecodeError, UnsupportedVersionError } from './decode-error.js';
import {
  readRequestHeaderPrefix,
  readRequestHeaderRest,
  readResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
  type RequestHeader,
  type RequestHeaderVersion,
  type ResponseHeader,
  type ResponseHeaderVersion,
} from './headers.js';
import {
  apiDescriptor,
  type ApiDescriptor,
  type ApiKey,
  type RequestBodies,
  type ResponseBodies,
} from './messages/index.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import type { FramePiece } from './primitives/streamed-bytes.js';
import { codecFor, isFlexible } from './schema/compile.js';

/**
 * Top-level Kafka message codec.
 *
 * Framing convention: `encodeRequest`/`encodeResponse` (and their `*Chunks` variants) return bytes WITH
 * the 4-byte size prefix, ready to write to a socket; `decodeRequest`/`decodeResponse` take a frame
 * WITHOUT it (what `FrameDecoder` yields). The `*Body` variants encode/decode the body alone (no header,
 * no prefix).
 *
 * Whole-frame decoders ignore bytes after the body, as Kafka does; `*Body` decoders require the body to
 * fill the buffer exactly. Decoded `bytes`/`records` values are views into the frame (no copy). Fields a
 * version does not have are absent (undefined) in decoded bodies; when encoding, a missing field is
 * written as its declared default (else zero/empty, or null if nullable).
 */

export type TypedRequestHeader<K extends ApiKey> = RequestHeader & { apiKey: K };

/**
 * A decoded request. Narrow on the top-level `apiKey` (TypeScript does not narrow unions on the nested
 * `header.apiKey`): `if (request.apiKey === ApiKey.Produce) request.body.topicData…`.
 */
export type DecodedRequest = {
  [K in ApiKey]: { apiKey: K; header: TypedRequestHeader<K>; body: RequestBodies[K] };
}[ApiKey];

export interface DecodedResponse<K extends ApiKey> {
  header: ResponseHeader;
  body: ResponseBodies[K];
}

/** The descriptor for `apiKey` if `version` is within the supported range; otherwise throws. */
export function supportedApi(apiKey: number, version: number, correlationId?: number): ApiDescriptor {
  const api = apiDescriptor(apiKey);
  if (!api || version < api.minVersion || version > api.maxVersion) {
    throw new UnsupportedVersionError(apiKey, version, correlationId);
  }
  return api;
}

/**
 * Header versions for an (api, version): flexible versions use request header v2 / response header v1,
 * except ApiVersions responses, which always use header v0. Throws `UnsupportedVersionError` if unknown.
 */
export function headerVersions(
  apiKey: number,
  apiVersion: number,
): { request: RequestHeaderVersion; response: ResponseHeaderVersion } {
  const flexible = isFlexible(supportedApi(apiKey, apiVersion), apiVersion);
  return { request: requestHeaderVersion(flexible), response: responseHeaderVersion(apiKey, flexible) };
}

function writeRequest<K extends ApiKey>(header: TypedRequestHeader<K>, body: RequestBodies[K]): Writer {
  const api = supportedApi(header.apiKey, header.apiVersion, header.correlationId);
  const w = new Writer(256);
  const sizeAt = w.reserveInt32();
  writeRequestHeader(w, header, requestHeaderVersion(isFlexible(api, header.apiVersion)));
  codecFor(api.request, header.apiVersion).encode(w, body);
  return w.setInt32At(sizeAt, w.length - 4);
}

/** A whole request frame, size prefix included, as one buffer. */
export function encodeRequest<K extends ApiKey>(
  header: TypedRequestHeader<K>,
  body: RequestBodies[K],
): Buffer {
  return writeRequest(header, body).finish();
}

/**
 * The same frame as `encodeRequest`, as pieces for a vectored write: large `records` buffers are
 * referenced, not copied (do not mutate them until written).
 */
export function encodeRequestChunks<K extends ApiKey>(
  header: TypedRequestHeader<K>,
  body: RequestBodies[K],
): Buffer[] {
  return writeRequest(header, body).finishChunks();
}

export function encodeRequestBody<K extends ApiKey>(
  apiKey: K,
  version: number,
  body: RequestBodies[K],
): Buffer {
  const api = supportedApi(apiKey, version);
  const w = new Writer(256);
  codecFor(api.request, version).encode(w, body);
  return w.finish();
}

/**
 * Decodes a request frame (without size prefix). Throws `UnsupportedVersionError` (carrying the
 * correlation id) for an unknown api key or version, `ProtocolDecodeError` for malformed bytes.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const r = new Reader(frame);
  const prefix = readRequestHeaderPrefix(r);
  const api = apiDescriptor(prefix.apiKey);
  if (!api || prefix.apiVersion < api.minVersion || prefix.apiVersion > api.maxVersion) {
    throw new UnsupportedVersionError(prefix.apiKey, prefix.apiVersion, prefix.correlationId);
  }
  const clientId = readRequestHeaderRest(r, requestHeaderVersion(isFlexible(api, prefix.apiVersion)));
  const body = codecFor(api.request, prefix.apiVersion).decode(r);
  return { apiKey: prefix.apiKey, header: { ...prefix, clientId }, body } as DecodedRequest;
}

export function decodeRequestBody<K extends ApiKey>(
  apiKey: K,
  version: number,
  bytes: Buffer,
): RequestBodies[K] {
  const api = supportedApi(apiKey, version);
  const r = new Reader(bytes);
  const body = codecFor(api.request, version).decode(r);
  requireFullyRead(r);
  return body as unknown as RequestBodies[K];
}

function writeResponse<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: ResponseBodies[K],
): Writer {
  const api = supportedApi(apiKey, version, correlationId);
  const w = new Writer(256);
  const sizeAt = w.reserveInt32();
  writeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, isFlexible(api, version)));
  codecFor(api.response, version).encode(w, body);
  return w.setInt32At(sizeAt, w.length - 4);
}

/** A whole response frame, size prefix included, as one buffer. */
export function encodeResponse<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: ResponseBodies[K],
): Buffer {
  return writeResponse(apiKey, version, correlationId, body).finish();
}

/**
 * The same frame as `encodeResponse`, as pieces for a vectored write (`socket.cork()`, write each piece,
 * `socket.uncork()`): large `records` buffers (Fetch) are referenced, not copied.
 */
export function encodeResponseChunks<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: ResponseBodies[K],
): Buffer[] {
  return writeResponse(apiKey, version, correlationId, body).finishChunks();
}

/** Like `encodeResponseChunks`, keeping streamed record sets (StreamedBytes) for the sender to stream. */
export function encodeResponsePieces<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: ResponseBodies[K],
): FramePiece[] {
  return writeResponse(apiKey, version, correlationId, body).finishPieces();
}

export function encodeResponseBody<K extends ApiKey>(
  apiKey: K,
  version: number,
  body: ResponseBodies[K],
): Buffer {
  const api = supportedApi(apiKey, version);
  const w = new Writer(256);
  codecFor(api.response, version).encode(w, body);
  return w.finish();
}

/** Decodes a response frame (without size prefix) for a request sent with `apiKey`/`version`. */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  version: number,
  frame: Buffer,
): DecodedResponse<K> {
  const api = supportedApi(apiKey, version);
  const r = new Reader(frame);
  const header = readResponseHeader(r, responseHeaderVersion(apiKey, isFlexible(api, version)));
  const body = codecFor(api.response, version).decode(r) as unknown as ResponseBodies[K];
  return { header, body };
}

export function decodeResponseBody<K extends ApiKey>(
  apiKey: K,
  version: number,
  bytes: Buffer,
): ResponseBodies[K] {
  const api = supportedApi(apiKey, version);
  const r = new Reader(bytes);
  const body = codecFor(api.response, version).decode(r);
  requireFullyRead(r);
  return body as unknown as ResponseBodies[K];
}

/** The correlation id of a response frame (its first 4 bytes), to match it to its request. */
export function peekCorrelationId(frame: Buffer): number {
  return new Reader(frame).readInt32('response header correlationId');
}

function requireFullyRead(r: Reader): void {
  if (r.remaining !== 0)
    throw new ProtocolDecodeError(`${r.remaining} unread bytes after the body`, 'body', r.offset);
}
