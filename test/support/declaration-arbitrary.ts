import fc from 'fast-check';
import {
  inVersionRange,
  type FieldDeclaration,
  type MessageDeclaration,
  type ScalarType,
} from '../../protocol/schema/declaration.js';

/**
 * fast-check arbitraries derived from message declarations, so every API × version (including ones added
 * later) gets round-trip coverage without hand-written generators.
 */

const buffer = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));

function scalar(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'bytes':
    case 'records':
      return buffer;
    case 'uuid':
      return fc.uuid().map((u) => u.toLowerCase());
  }
}

function fieldArbitrary(field: FieldDeclaration, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  if (field.type === 'struct' || field.type === '[]struct') {
    const struct = structArbitrary(field.fields ?? [], version, flexible);
    arb = field.type === 'struct' ? struct : fc.array(struct, { maxLength: 3 });
  } else if (field.type.startsWith('[]')) {
    arb = fc.array(scalar(field.type.slice(2) as ScalarType), { maxLength: 4 });
  } else {
    arb = scalar(field.type as ScalarType);
  }
  const nullable = field.nullable !== undefined && inVersionRange(field.nullable, version);
  return nullable ? fc.option(arb, { nil: null, freq: 4 }) : arb;
}

export function structArbitrary(
  fields: readonly FieldDeclaration[],
  version: number,
  flexible: boolean,
): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const field of fields) {
    if (!inVersionRange(field.versions, version)) continue;
    if (field.tag !== undefined && !flexible) continue;
    model[field.name] = fieldArbitrary(field, version, flexible);
    if (field.tag === undefined) required.push(field.name);
  }
  return fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
}

export function messageArbitrary(
  decl: MessageDeclaration,
  version: number,
): fc.Arbitrary<Record<string, unknown>> {
  const flexible = decl.flexibleFrom !== null && version >= decl.flexibleFrom;
  return structArbitrary(decl.fields, version, flexible);
}

/**
 * Keeps only the fields `value` would carry at `version` (declaration order), dropping the rest — so one
 * full fixture can state the expected body for every version.
 */
export function projectToVersion(
  fields: readonly FieldDeclaration[],
  version: number,
  flexible: boolean,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!inVersionRange(field.versions, version)) continue;
    if (field.tag !== undefined && !flexible) continue;
    if (!(field.name in value)) continue;
    const v = value[field.name];
    if (field.type === 'struct' && v !== null && typeof v === 'object') {
      out[field.name] = projectToVersion(field.fields ?? [], version, flexible, v as Record<string, unknown>);
    } else if (field.type === '[]struct' && Array.isArray(v)) {
      out[field.name] = v.map((item) =>
        projectToVersion(field.fields ?? [], version, flexible, item as Record<string, unknown>),
      );
    } else {
      out[field.name] = v;
    }
  }
  return out;
}

/** Leaf values of a body in wire order (arrays as a length marker then items), for comparing with other codecs. */
export function wireLeaves(
  fields: readonly FieldDeclaration[],
  version: number,
  flexible: boolean,
  value: Record<string, unknown>,
  out: unknown[] = [],
): unknown[] {
  for (const field of fields) {
    if (!inVersionRange(field.versions, version)) continue;
    if (field.tag !== undefined) continue;
    const v = value[field.name];
    if (field.type === '[]struct' || field.type === 'struct') {
      const items = field.type === 'struct' ? [v] : (v as unknown[] | null);
      if (items === null) {
        out.push(null);
        continue;
      }
      if (field.type === '[]struct') out.push(`len:${items.length}`);
      for (const item of items)
        wireLeaves(field.fields ?? [], version, flexible, item as Record<string, unknown>, out);
    } else if (Array.isArray(v)) {
      out.push(`len:${v.length}`);
      for (const item of v) out.push(normalizeLeaf(item));
    } else {
      out.push(normalizeLeaf(v));
    }
  }
  return out;
}

export function normalizeLeaf(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  return v;
}
