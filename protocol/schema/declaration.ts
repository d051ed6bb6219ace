/**
 * The shape of a message declaration: plain data, one per API and direction, from which encoders,
 * decoders, TypeScript body types and test arbitraries are all derived.
 *
 * Version strings follow Kafka's message JSON: `'4+'` (4 and later), `'3-5'`, `'7'`. A field without
 * `versions` exists in every version of its enclosing message/struct — and only such fields are required
 * in the TypeScript body type; the others (and all tagged fields) are optional.
 */

export type ScalarType =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export type ArrayOfScalarType = '[]int8' | '[]int16' | '[]int32' | '[]int64' | '[]string' | '[]uuid';

export type FieldType = ScalarType | ArrayOfScalarType | 'struct' | '[]struct';

export interface FieldDeclaration {
  /** camelCase body property name. */
  readonly name: string;
  readonly type: FieldType;
  /** Versions the field exists in; absent = all versions of the enclosing message or struct. */
  readonly versions?: string;
  /** Versions in which the value may be null (`records` should always declare it). */
  readonly nullable?: string;
  /** Tag number for a tagged field (only ever sent in flexible versions, inside the tag buffer). */
  readonly tag?: number;
  /** Kafka's struct type name, for documentation. */
  readonly struct?: string;
  /** Value written when the body leaves a field out (else the type's zero value, or null if nullable). */
  readonly default?: number | boolean | string | null;
  /** Child fields for `struct` and `[]struct`. */
  readonly fields?: readonly FieldDeclaration[];
  /** What the field means, in our words (Kafka's JSON specs carry the same kind of note). */
  readonly about?: string;
}

export interface MessageDeclaration {
  readonly apiKey: number;
  /** Kafka's API name, e.g. 'Produce'. */
  readonly name: string;
  readonly kind: 'request' | 'response';
  /** Inclusive [min, max] version range this codec speaks. */
  readonly versions: readonly [number, number];
  /** First flexible version (compact encodings + tag buffers), or null if none in range. */
  readonly flexibleFrom: number | null;
  readonly fields: readonly FieldDeclaration[];
}

/** Inclusive version range; `max` is Infinity for open ranges. */
export interface VersionRange {
  min: number;
  max: number;
}

export function parseVersionRange(spec: string): VersionRange {
  const open = /^(\d+)\+$/.exec(spec);
  if (open) return { min: Number(open[1]), max: Infinity };
  const closed = /^(\d+)-(\d+)$/.exec(spec);
  if (closed) return { min: Number(closed[1]), max: Number(closed[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new Error(`bad version range ${JSON.stringify(spec)}`);
}

export function inVersionRange(spec: string | undefined, version: number): boolean {
  if (spec === undefined) return true;
  const { min, max } = parseVersionRange(spec);
  return version >= min && version <= max;
}

// ---- type-level derivation of body types ----

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ScalarValue<T extends string> = T extends 'int64'
  ? bigint
  : T extends 'string' | 'uuid'
    ? string
    : T extends 'bool'
      ? boolean
      : T extends 'bytes' | 'records'
        ? Buffer
        : number;

type FieldValue<F extends FieldDeclaration> = F extends {
  type: '[]struct';
  fields: infer C extends readonly FieldDeclaration[];
}
  ? StructBody<C>[]
  : F extends { type: 'struct'; fields: infer C extends readonly FieldDeclaration[] }
    ? StructBody<C>
    : F['type'] extends `[]${infer E}`
      ? ScalarValue<E>[]
      : ScalarValue<F['type']>;

type NullPart<F> = F extends { nullable: string } ? null : never;

type IsOptional<F> = F extends { versions: string } ? true : F extends { tag: number } ? true : false;

/** The body type of a struct (or message) with the given field declarations. */
export type StructBody<Fs extends readonly FieldDeclaration[]> = Simplify<
  {
    -readonly [F in Fs[number] as IsOptional<F> extends true ? never : F['name']]:
      FieldValue<F> | NullPart<F>;
  } & {
    -readonly [F in Fs[number] as IsOptional<F> extends true ? F['name'] : never]?:
      FieldValue<F> | NullPart<F>;
  }
>;

/** The body type of a message declaration, e.g. `MessageBody<typeof produceApi.request>`. */
export type MessageBody<M extends MessageDeclaration> = StructBody<M['fields']>;
