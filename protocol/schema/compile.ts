import { ProtocolEncodeError } from '../decode-error.js';
import { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import type { StreamedBytes } from '../primitives/streamed-bytes.js';
import {
  inVersionRange,
  type FieldDeclaration,
  type FieldType,
  type MessageDeclaration,
  type ScalarType,
} from './declaration.js';

/**
 * Turns a declaration into an encoder/decoder pair for one version: a closure per field, chosen once,
 * so the per-message work is a flat walk with no version checks. Results are cached per declaration and
 * version (see `codecFor`).
 */

type Body = Record<string, unknown>;
type EncodeFn = (w: Writer, value: unknown) => void;
type DecodeFn = (r: Reader) => unknown;
/** What a records field encodes from: bytes in memory or bytes streamed by the sender. */
type RecordsValue = Buffer | StreamedBytes;

export interface VersionCodec {
  encode(w: Writer, body: object): void;
  decode(r: Reader): Body;
}

interface FieldPlan {
  name: string;
  path: string;
  encode: EncodeFn;
  decode: DecodeFn;
  fallback: unknown;
  /** Smallest number of bytes this field can take on the wire (for array-count sanity checks). */
  minSize: number;
  tag?: number;
}

interface StructPlan {
  regular: FieldPlan[];
  tagged: FieldPlan[];
  taggedByTag: Map<number, FieldPlan>;
  flexible: boolean;
  minSize: number;
}

function zeroValue(type: FieldType): unknown {
  if (type.startsWith('[]')) return [];
  switch (type as ScalarType | 'struct') {
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
    case 'records':
      return Buffer.alloc(0);
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    case 'struct':
      return {};
    default:
      return 0;
  }
}

function fallbackValue(field: FieldDeclaration, nullable: boolean): unknown {
  if (field.default !== undefined) {
    if (field.default === null) return nullable ? null : zeroValue(field.type);
    return field.type === 'int64' ? BigInt(field.default) : field.default;
  }
  return nullable ? null : zeroValue(field.type);
}

function scalarCodec(
  type: ScalarType,
  nullable: boolean,
  flexible: boolean,
  path: string,
): { encode: EncodeFn; decode: DecodeFn; minSize: number } {
  switch (type) {
    case 'int8':
      return { encode: (w, v) => w.writeInt8(v as number), decode: (r) => r.readInt8(path), minSize: 1 };
    case 'int16':
      return { encode: (w, v) => w.writeInt16(v as number), decode: (r) => r.readInt16(path), minSize: 2 };
    case 'uint16':
      return { encode: (w, v) => w.writeUInt16(v as number), decode: (r) => r.readUInt16(path), minSize: 2 };
    case 'int32':
      return { encode: (w, v) => w.writeInt32(v as number), decode: (r) => r.readInt32(path), minSize: 4 };
    case 'uint32':
      return { encode: (w, v) => w.writeUInt32(v as number), decode: (r) => r.readUInt32(path), minSize: 4 };
    case 'int64':
      return { encode: (w, v) => w.writeInt64(v as bigint), decode: (r) => r.readInt64(path), minSize: 8 };
    case 'float64':
      return {
        encode: (w, v) => w.writeFloat64(v as number),
        decode: (r) => r.readFloat64(path),
        minSize: 8,
      };
    case 'bool':
      return { encode: (w, v) => w.writeBool(v as boolean), decode: (r) => r.readBool(path), minSize: 1 };
    case 'uuid':
      return { encode: (w, v) => w.writeUuid(v as string), decode: (r) => r.readUuid(path), minSize: 16 };
    case 'string':
      if (flexible) {
        return nullable
          ? {
              encode: (w, v) => w.writeCompactNullableString(v as string | null),
              decode: (r) => r.readCompactNullableString(path),
              minSize: 1,
            }
          : {
              encode: (w, v) => w.writeCompactString(requireNonNull(v, path) as string),
              decode: (r) => r.readCompactString(path),
              minSize: 1,
            };
      }
      return nullable
        ? {
            encode: (w, v) => w.writeNullableString(v as string | null),
            decode: (r) => r.readNullableString(path),
            minSize: 2,
          }
        : {
            encode: (w, v) => w.writeString(requireNonNull(v, path) as string),
            decode: (r) => r.readString(path),
            minSize: 2,
          };
    case 'records':
      // Record sets are referenced, not copied, so encode*Chunks can hand them to the socket as they are
      // (or stream them: StreamedBytes, see streamedRecords).
      return {
        encode: flexible
          ? (w, v) => {
              const b = nullable ? (v as RecordsValue | null) : (requireNonNull(v, path) as RecordsValue);
              if (b === null) w.writeUVarint(0);
              else w.writeUVarint(b.length + 1).writeRawRef(b);
            }
          : (w, v) => {
              const b = nullable ? (v as RecordsValue | null) : (requireNonNull(v, path) as RecordsValue);
              if (b === null) w.writeInt32(-1);
              else w.writeInt32(b.length).writeRawRef(b);
            },
        decode: flexible
          ? nullable
            ? (r) => r.readCompactNullableBytes(path)
            : (r) => r.readCompactBytes(path)
          : nullable
            ? (r) => r.readNullableBytes(path)
            : (r) => r.readBytes(path),
        minSize: flexible ? 1 : 4,
      };
    case 'bytes':
      if (flexible) {
        return nullable
          ? {
              encode: (w, v) => w.writeCompactNullableBytes(v as Buffer | null),
              decode: (r) => r.readCompactNullableBytes(path),
              minSize: 1,
            }
          : {
              encode: (w, v) => w.writeCompactBytes(requireNonNull(v, path) as Buffer),
              decode: (r) => r.readCompactBytes(path),
              minSize: 1,
            };
      }
      return nullable
        ? {
            encode: (w, v) => w.writeNullableBytes(v as Buffer | null),
            decode: (r) => r.readNullableBytes(path),
            minSize: 4,
          }
        : {
            encode: (w, v) => w.writeBytes(requireNonNull(v, path) as Buffer),
            decode: (r) => r.readBytes(path),
            minSize: 4,
          };
  }
}

function requireNonNull(v: unknown, path: string): unknown {
  if (v === null) throw new ProtocolEncodeError('null is not allowed in this version', path);
  return v;
}

function arrayCodec(
  item: { encode: EncodeFn; decode: DecodeFn; minSize: number },
  nullable: boolean,
  flexible: boolean,
  path: string,
): { encode: EncodeFn; decode: DecodeFn; minSize: number } {
  const { encode: encodeItem, decode: decodeItem, minSize: itemSize } = item;
  const decodeItems = (r: Reader, n: number): unknown[] => {
    const items = new Array<unknown>(n);
    for (let i = 0; i < n; i++) items[i] = decodeItem(r);
    return items;
  };
  const encode: EncodeFn = (w, v) => {
    if (v === null) {
      if (!nullable) throw new ProtocolEncodeError('null is not allowed in this version', path);
      if (flexible) w.writeUVarint(0);
      else w.writeInt32(-1);
      return;
    }
    const items = v as unknown[];
    if (flexible) w.writeUVarint(items.length + 1);
    else w.writeInt32(items.length);
    for (let i = 0; i < items.length; i++) encodeItem(w, items[i]);
  };
  const decode: DecodeFn = (r) => {
    const start = r.offset;
    const n = flexible ? r.readCompactArrayLength(path, itemSize) : r.readArrayLength(path, itemSize);
    if (n === -1) {
      if (!nullable) r.fail(path, 'null for a non-nullable array', start);
      return null;
    }
    return decodeItems(r, n);
  };
  return { encode, decode, minSize: flexible ? 1 : 4 };
}

function planStruct(
  fields: readonly FieldDeclaration[],
  version: number,
  flexible: boolean,
  path: string,
): StructPlan {
  const regular: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  for (const field of fields) {
    if (!inVersionRange(field.versions, version)) continue;
    const isTagged = field.tag !== undefined;
    if (isTagged && !flexible) continue;
    const nullable = field.nullable !== undefined && inVersionRange(field.nullable, version);
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    const codec = fieldCodec(field, version, flexible, nullable, fieldPath);
    const plan: FieldPlan = {
      name: field.name,
      path: fieldPath,
      encode: codec.encode,
      decode: codec.decode,
      fallback: fallbackValue(field, nullable),
      minSize: codec.minSize,
    };
    if (isTagged) tagged.push({ ...plan, tag: field.tag });
    else regular.push(plan);
  }
  tagged.sort((a, b) => a.tag! - b.tag!);
  const minSize = regular.reduce((sum, f) => sum + f.minSize, flexible ? 1 : 0);
  return { regular, tagged, taggedByTag: new Map(tagged.map((f) => [f.tag!, f])), flexible, minSize };
}

function fieldCodec(
  field: FieldDeclaration,
  version: number,
  flexible: boolean,
  nullable: boolean,
  path: string,
): { encode: EncodeFn; decode: DecodeFn; minSize: number } {
  if (field.type === 'struct' || field.type === '[]struct') {
    const struct = structCodec(planStruct(field.fields ?? [], version, flexible, path), path);
    if (field.type === '[]struct') return arrayCodec(struct, nullable, flexible, path);
    if (nullable) {
      // Kafka encodes a nullable struct with an int8 presence marker (-1 null, 1 present).
      return {
        encode: (w, v) => {
          if (v === null) w.writeInt8(-1);
          else {
            w.writeInt8(1);
            struct.encode(w, v);
          }
        },
        decode: (r) => (r.readInt8(path) < 0 ? null : struct.decode(r)),
        minSize: 1,
      };
    }
    return struct;
  }
  if (field.type.startsWith('[]')) {
    const item = scalarCodec(field.type.slice(2) as ScalarType, false, flexible, `${path}[]`);
    return arrayCodec(item, nullable, flexible, path);
  }
  return scalarCodec(field.type as ScalarType, nullable, flexible, path);
}

/**
 * Struct encoders/decoders are generated as small functions (named property loads, one object literal per
 * decoded struct) so V8 sees one stable object shape per struct; the per-field work stays in the closures.
 * `useInterpretedStructCodecs` switches to the plain loop, to measure the difference (bench/codec.ts).
 */
let generateStructs = true;

/**
 * Chooses plain-loop struct codecs (true) or generated ones (false, the default) for codecs compiled
 * from now on; already compiled codecs are forgotten. A measuring switch: the codec has no environment
 * of its own, so the caller (bench/codec.ts) decides.
 */
export function useInterpretedStructCodecs(interpreted: boolean): void {
  if (generateStructs === !interpreted) return;
  generateStructs = !interpreted;
  cache = new WeakMap();
}

function structCodec(
  plan: StructPlan,
  path: string,
): { encode: EncodeFn; decode: DecodeFn; minSize: number } {
  const generated = generateStructs ? generateStructCodec(plan, path) : interpretStructCodec(plan, path);
  return { ...generated, minSize: plan.minSize };
}

function notAnObject(value: unknown, path: string): never {
  throw new ProtocolEncodeError(
    `expected an object, got ${value === null ? 'null' : typeof value}`,
    path || 'body',
  );
}

function interpretStructCodec(plan: StructPlan, path: string): { encode: EncodeFn; decode: DecodeFn } {
  const { regular, tagged, taggedByTag, flexible } = plan;
  const count = regular.length;
  const encode: EncodeFn = (w, value) => {
    if (value === null || typeof value !== 'object') notAnObject(value, path);
    const body = value as Body;
    for (let i = 0; i < count; i++) {
      const f = regular[i]!;
      const v = body[f.name];
      f.encode(w, v === undefined ? f.fallback : v);
    }
    if (flexible) writeTagBuffer(w, tagged, body);
  };
  const decode: DecodeFn = (r) => {
    const body: Body = {};
    for (let i = 0; i < count; i++) {
      const f = regular[i]!;
      body[f.name] = f.decode(r);
    }
    if (flexible) readTagBuffer(r, taggedByTag, body, path);
    return body;
  };
  return { encode, decode };
}

function generateStructCodec(plan: StructPlan, path: string): { encode: EncodeFn; decode: DecodeFn } {
  const { regular, tagged, taggedByTag, flexible } = plan;
  // Field names come from our own declarations; JSON.stringify quotes them safely as property keys.
  const key = (f: FieldPlan) => JSON.stringify(f.name);
  const encodeSource = [
    `return function encodeStruct(w, v) {`,
    `  if (v === null || typeof v !== 'object') notAnObject(v, path);`,
    `  let x;`,
    ...regular.map((f, i) => `  x = v[${key(f)}]; enc[${i}](w, x === undefined ? fallback[${i}] : x);`),
    flexible ? `  writeTagBuffer(w, tagged, v);` : '',
    `};`,
  ].join('\n');
  const decodeSource = [
    `return function decodeStruct(r) {`,
    `  const o = { ${regular.map((f, i) => `${key(f)}: dec[${i}](r)`).join(', ')} };`,
    flexible ? `  readTagBuffer(r, taggedByTag, o, path);` : '',
    `  return o;`,
    `};`,
  ].join('\n');
  const encode = new Function(
    'enc',
    'fallback',
    'tagged',
    'path',
    'notAnObject',
    'writeTagBuffer',
    encodeSource,
  )(
    regular.map((f) => f.encode),
    regular.map((f) => f.fallback),
    tagged,
    path,
    notAnObject,
    writeTagBuffer,
  ) as EncodeFn;
  const decode = new Function('dec', 'taggedByTag', 'path', 'readTagBuffer', decodeSource)(
    regular.map((f) => f.decode),
    taggedByTag,
    path,
    readTagBuffer,
  ) as DecodeFn;
  return { encode, decode };
}

function writeTagBuffer(w: Writer, tagged: FieldPlan[], body: Body): void {
  let present = 0;
  for (const f of tagged) if (body[f.name] !== undefined) present++;
  w.writeUVarint(present);
  if (present === 0) return;
  for (const f of tagged) {
    const v = body[f.name];
    if (v === undefined) continue;
    const inner = new Writer(64);
    f.encode(inner, v);
    const data = inner.finish();
    w.writeUVarint(f.tag!);
    w.writeUVarint(data.length);
    w.writeRaw(data);
  }
}

function readTagBuffer(r: Reader, taggedByTag: Map<number, FieldPlan>, body: Body, path: string): void {
  const field = path ? `${path} tagged fields` : 'tagged fields';
  const start = r.offset;
  const count = r.readUVarint(field);
  if (count === 0) return;
  if (count > r.remaining / 2) r.fail(field, `tag count ${count} cannot fit`, start);
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tagAt = r.offset;
    const tag = r.readUVarint(field);
    if (tag <= previous) r.fail(field, `tag ${tag} out of order or repeated`, tagAt);
    previous = tag;
    const size = r.readUVarint(field);
    const dataStart = r.offset;
    r.skip(size, `${field} (tag ${tag})`);
    const f = taggedByTag.get(tag);
    if (!f) continue; // unknown tags are skippable by design
    const inner = new Reader(r.buffer, dataStart, dataStart + size);
    body[f.name] = f.decode(inner);
    if (inner.remaining !== 0)
      r.fail(f.path, `${inner.remaining} bytes left over in tagged field ${tag}`, dataStart);
  }
}

function compile(decl: MessageDeclaration, version: number): VersionCodec {
  const flexible = decl.flexibleFrom !== null && version >= decl.flexibleFrom;
  const struct = structCodec(planStruct(decl.fields, version, flexible, ''), '');
  return {
    encode: struct.encode as (w: Writer, body: object) => void,
    decode: struct.decode as (r: Reader) => Body,
  };
}

let cache = new WeakMap<MessageDeclaration, Map<number, VersionCodec>>();

/** The compiled codec for one declaration at one version (compiled on first use, then cached). */
export function codecFor(decl: MessageDeclaration, version: number): VersionCodec {
  if (version < decl.versions[0] || version > decl.versions[1]) {
    throw new RangeError(`${decl.name} ${decl.kind} has no version ${version}`);
  }
  let byVersion = cache.get(decl);
  if (!byVersion) cache.set(decl, (byVersion = new Map()));
  let codec = byVersion.get(version);
  if (!codec) byVersion.set(version, (codec = compile(decl, version)));
  return codec;
}

export function isFlexible(decl: Pick<MessageDeclaration, 'flexibleFrom'>, version: number): boolean {
  return decl.flexibleFrom !== null && version >= decl.flexibleFrom;
}
