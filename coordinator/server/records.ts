/**
 * ZooKeeper's jute records (zookeeper.jute): the request bodies the server decodes and the response
 * bodies it encodes. Field order is the wire order.
 */
import { JuteDecodeError, type JuteReader, type JuteWriter } from './jute.js';
import { OpCode } from './protocol-constants.js';

export interface Id {
  scheme: string;
  id: string;
}

export interface Acl {
  perms: number;
  id: Id;
}

export interface Stat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  /** Present only when the client sent the trailing byte (3.3+ clients); echoed back only then. */
  readOnly: boolean | undefined;
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly: boolean | undefined;
}

export interface RequestHeader {
  xid: number;
  type: number;
}

export interface ReplyHeader {
  xid: number;
  zxid: number;
  err: number;
}

export interface CreateRequest {
  path: string;
  data: Buffer | null;
  acl: Acl[];
  flags: number;
  ttl: number;
}

export interface PathVersionRequest {
  path: string;
  version: number;
}

export interface PathWatchRequest {
  path: string;
  watch: boolean;
}

export interface SetDataRequest {
  path: string;
  data: Buffer | null;
  version: number;
}

export interface SetAclRequest {
  path: string;
  acl: Acl[];
  version: number;
}

export interface AuthPacket {
  type: number;
  scheme: string;
  auth: Buffer | null;
}

export interface SetWatches {
  relativeZxid: number;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}

export type MultiOp =
  | {
      type:
        | typeof OpCode.create
        | typeof OpCode.create2
        | typeof OpCode.createContainer
        | typeof OpCode.createTTL;
      request: CreateRequest;
    }
  | { type: typeof OpCode.delete | typeof OpCode.check; request: PathVersionRequest }
  | { type: typeof OpCode.setData; request: SetDataRequest };

export interface MultiHeader {
  type: number;
  done: boolean;
  err: number;
}

// ---- decoding ----

export function readConnectRequest(reader: JuteReader): ConnectRequest {
  const protocolVersion = reader.int();
  const lastZxidSeen = reader.long();
  const timeOut = reader.int();
  const sessionId = reader.bigLong();
  const passwd = reader.buffer_() ?? Buffer.alloc(0);
  const readOnly = reader.remaining > 0 ? reader.bool() : undefined;
  return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly };
}

export function readRequestHeader(reader: JuteReader): RequestHeader {
  return { xid: reader.int(), type: reader.int() };
}

export function readId(reader: JuteReader): Id {
  return { scheme: reader.string(), id: reader.string() };
}

export function readAcl(reader: JuteReader): Acl {
  return { perms: reader.int(), id: readId(reader) };
}

export function readCreateRequest(reader: JuteReader, withTtl = false): CreateRequest {
  const path = reader.string();
  const data = reader.buffer_();
  const acl = reader.vector(readAcl) ?? [];
  const flags = reader.int();
  const ttl = withTtl ? reader.long() : -1;
  return { path, data, acl, flags, ttl };
}

export function readPathVersionRequest(reader: JuteReader): PathVersionRequest {
  return { path: reader.string(), version: reader.int() };
}

export function readPathWatchRequest(reader: JuteReader): PathWatchRequest {
  return { path: reader.string(), watch: reader.bool() };
}

export function readSetDataRequest(reader: JuteReader): SetDataRequest {
  return { path: reader.string(), data: reader.buffer_(), version: reader.int() };
}

export function readSetAclRequest(reader: JuteReader): SetAclRequest {
  return { path: reader.string(), acl: reader.vector(readAcl) ?? [], version: reader.int() };
}

export function readPath(reader: JuteReader): string {
  return reader.string();
}

export function readAuthPacket(reader: JuteReader): AuthPacket {
  return { type: reader.int(), scheme: reader.string(), auth: reader.buffer_() };
}

const readString = (r: JuteReader) => r.string();

export function readSetWatches(reader: JuteReader, version2: boolean): SetWatches {
  const relativeZxid = reader.long();
  const dataWatches = reader.vector(readString) ?? [];
  const existWatches = reader.vector(readString) ?? [];
  const childWatches = reader.vector(readString) ?? [];
  const persistentWatches = version2 ? (reader.vector(readString) ?? []) : [];
  const persistentRecursiveWatches = version2 ? (reader.vector(readString) ?? []) : [];
  return {
    relativeZxid,
    dataWatches,
    existWatches,
    childWatches,
    persistentWatches,
    persistentRecursiveWatches,
  };
}

export function readMultiHeader(reader: JuteReader): MultiHeader {
  return { type: reader.int(), done: reader.bool(), err: reader.int() };
}

/** MultiRequest: (MultiHeader, op)* terminated by a header with done = true. */
export function readMultiRequest(reader: JuteReader): MultiOp[] {
  const ops: MultiOp[] = [];
  for (;;) {
    const header = readMultiHeader(reader);
    if (header.done) return ops;
    switch (header.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        ops.push({ type: header.type, request: readCreateRequest(reader) });
        break;
      case OpCode.createTTL:
        ops.push({ type: header.type, request: readCreateRequest(reader, true) });
        break;
      case OpCode.delete:
      case OpCode.check:
        ops.push({ type: header.type, request: readPathVersionRequest(reader) });
        break;
      case OpCode.setData:
        ops.push({ type: header.type, request: readSetDataRequest(reader) });
        break;
      default:
        throw new JuteDecodeError(`multi op type ${header.type} not allowed`);
    }
  }
}

// ---- encoding ----

export function writeStat(writer: JuteWriter, stat: Stat): void {
  writer
    .long(stat.czxid)
    .long(stat.mzxid)
    .long(stat.ctime)
    .long(stat.mtime)
    .int(stat.version)
    .int(stat.cversion)
    .int(stat.aversion)
    .bigLong(stat.ephemeralOwner)
    .int(stat.dataLength)
    .int(stat.numChildren)
    .long(stat.pzxid);
}

export function readStat(reader: JuteReader): Stat {
  return {
    czxid: reader.long(),
    mzxid: reader.long(),
    ctime: reader.long(),
    mtime: reader.long(),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.bigLong(),
    dataLength: reader.int(),
    numChildren: reader.int(),
    pzxid: reader.long(),
  };
}

export function writeAcl(writer: JuteWriter, acl: Acl): void {
  writer.int(acl.perms).string(acl.id.scheme).string(acl.id.id);
}

export function writeConnectResponse(writer: JuteWriter, response: ConnectResponse): void {
  writer
    .int(response.protocolVersion)
    .int(response.timeOut)
    .bigLong(response.sessionId)
    .buffer_(response.passwd);
  if (response.readOnly !== undefined) writer.bool(response.readOnly);
}

export function writeReplyHeader(writer: JuteWriter, header: ReplyHeader): void {
  writer.int(header.xid).long(header.zxid).int(header.err);
}

export function writeMultiHeader(writer: JuteWriter, header: MultiHeader): void {
  writer.int(header.type).bool(header.done).int(header.err);
}

// Client-side encoders: used by tests and tools that speak the protocol without a client library.

export function writeConnectRequest(writer: JuteWriter, request: ConnectRequest): void {
  writer
    .int(request.protocolVersion)
    .long(request.lastZxidSeen)
    .int(request.timeOut)
    .bigLong(request.sessionId)
    .buffer_(request.passwd);
  if (request.readOnly !== undefined) writer.bool(request.readOnly);
}

export function readConnectResponse(reader: JuteReader): ConnectResponse {
  const protocolVersion = reader.int();
  const timeOut = reader.int();
  const sessionId = reader.bigLong();
  const passwd = reader.buffer_() ?? Buffer.alloc(0);
  const readOnly = reader.remaining > 0 ? reader.bool() : undefined;
  return { protocolVersion, timeOut, sessionId, passwd, readOnly };
}

export function readReplyHeader(reader: JuteReader): ReplyHeader {
  return { xid: reader.int(), zxid: reader.long(), err: reader.int() };
}

export function writeCreateRequest(writer: JuteWriter, request: CreateRequest): void {
  writer.string(request.path).buffer_(request.data).vector(request.acl, writeAcl).int(request.flags);
}
