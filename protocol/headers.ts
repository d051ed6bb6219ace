import type { Reader } from './primitives/reader.js';
import type { Writer } from './primitives/writer.js';

/** Request header fields common to v1 and v2 (v2 only adds an empty tag buffer on the wire). */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ResponseHeader {
  correlationId: number;
}

/** Request header version: 2 for flexible request versions, else 1 (v0 has no client id; never used here). */
export type RequestHeaderVersion = 1 | 2;
/** Response header version: 1 for flexible versions, else 0. */
export type ResponseHeaderVersion = 0 | 1;

export const API_VERSIONS_KEY = 18;

export function requestHeaderVersion(flexible: boolean): RequestHeaderVersion {
  return flexible ? 2 : 1;
}

/** ApiVersions responses always use header v0, so a client can parse them before it knows our versions. */
export function responseHeaderVersion(apiKey: number, flexible: boolean): ResponseHeaderVersion {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return flexible ? 1 : 0;
}

/** Reads the fixed part every request header starts with, so the caller can pick the version. */
export function readRequestHeaderPrefix(reader: Reader): Omit<RequestHeader, 'clientId'> {
  const apiKey = reader.readInt16('request header apiKey');
  const apiVersion = reader.readInt16('request header apiVersion');
  const correlationId = reader.readInt32('request header correlationId');
  return { apiKey, apiVersion, correlationId };
}

/** Reads the rest of a request header (after the prefix): client id, and in v2 the tag buffer. */
export function readRequestHeaderRest(reader: Reader, version: RequestHeaderVersion): string | null {
  const clientId = reader.readNullableString('request header clientId');
  if (version >= 2) reader.readTaggedFields('request header tagged fields');
  return clientId;
}

export function readRequestHeader(reader: Reader, version: RequestHeaderVersion): RequestHeader {
  const prefix = readRequestHeaderPrefix(reader);
  return { ...prefix, clientId: readRequestHeaderRest(reader, version) };
}

export function writeRequestHeader(
  writer: Writer,
  header: RequestHeader,
  version: RequestHeaderVersion,
): void {
  writer.writeInt16(header.apiKey);
  writer.writeInt16(header.apiVersion);
  writer.writeInt32(header.correlationId);
  writer.writeNullableString(header.clientId);
  if (version >= 2) writer.writeUVarint(0);
}

export function readResponseHeader(reader: Reader, version: ResponseHeaderVersion): ResponseHeader {
  const correlationId = reader.readInt32('response header correlationId');
  if (version >= 1) reader.readTaggedFields('response header tagged fields');
  return { correlationId };
}

export function writeResponseHeader(
  writer: Writer,
  correlationId: number,
  version: ResponseHeaderVersion,
): void {
  writer.writeInt32(correlationId);
  if (version >= 1) writer.writeUVarint(0);
}
