import type { FieldDeclaration, MessageBody } from './declaration.js';

/**
 * One Kafka API, declared once: its key, name, the version range sluice speaks, the first flexible
 * version, and the request and response field lists. Each file in protocol/messages/ holds one
 * (`defineApi({...})`); the list in protocol/messages/index.ts makes the codec, `ApiKey` and the body
 * maps know it.
 */
export interface ApiDeclaration {
  readonly apiKey: number;
  /** Kafka's API name, e.g. 'Produce'; `ApiKey.Produce` is derived from it. */
  readonly name: string;
  /** Inclusive [min, max] version range sluice speaks (the same for request and response). */
  readonly versions: readonly [number, number];
  /** First flexible version (compact encodings + tag buffers), or null if none in range. */
  readonly flexibleFrom: number | null;
  readonly request: readonly FieldDeclaration[];
  readonly response: readonly FieldDeclaration[];
}

/** One direction of an API as the compiler sees it (`codecFor(api.request, version)`). */
export interface MessageOf<D extends ApiDeclaration, Kind extends 'request' | 'response'> {
  readonly apiKey: D['apiKey'];
  readonly name: D['name'];
  readonly kind: Kind;
  readonly versions: D['versions'];
  readonly flexibleFrom: D['flexibleFrom'];
  readonly fields: D[Kind];
}

/**
 * An API as the rest of the code sees it: key, name, version range, flexible-from, and the request and
 * response message declarations that encoders, decoders and body types derive from.
 */
export interface ApiDescriptor<D extends ApiDeclaration = ApiDeclaration> {
  readonly apiKey: D['apiKey'];
  readonly name: D['name'];
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version, or null if every supported version is classic. */
  readonly flexibleFrom: number | null;
  readonly request: MessageOf<D, 'request'>;
  readonly response: MessageOf<D, 'response'>;
}

/**
 * Declares one API (see `ApiDeclaration`); the result goes in the list in protocol/messages/index.ts.
 * The literal is inferred as if written `as const` (for the body types) and still checked against
 * `ApiDeclaration`, excess properties included, so a misspelt `nulable` does not pass.
 */
export function defineApi<const D extends ApiDeclaration>(declaration: D): ApiDescriptor<D> {
  const { apiKey, name, versions, flexibleFrom } = declaration;
  const message = <Kind extends 'request' | 'response'>(kind: Kind): MessageOf<D, Kind> => ({
    apiKey,
    name,
    kind,
    versions,
    flexibleFrom,
    fields: declaration[kind],
  });
  return {
    apiKey,
    name,
    minVersion: versions[0],
    maxVersion: versions[1],
    flexibleFrom,
    request: message('request'),
    response: message('response'),
  };
}

/** The request body type of an API, e.g. `RequestBody<typeof produceApi>`. */
export type RequestBody<A extends ApiDescriptor> = MessageBody<A['request']>;
/** The response body type of an API. */
export type ResponseBody<A extends ApiDescriptor> = MessageBody<A['response']>;

/** `{ Produce: 0, Fetch: 1, … }` for a list of APIs: the type of `apiKeyTable(list)`. */
export type ApiKeyTable<L extends readonly ApiDescriptor[]> = {
  readonly [A in L[number] as A['name']]: A['apiKey'];
};
/** Request body type per api key for a list of APIs. */
export type RequestBodiesOf<L extends readonly ApiDescriptor[]> = {
  [A in L[number] as A['apiKey']]: RequestBody<A>;
};
/** Response body type per api key for a list of APIs. */
export type ResponseBodiesOf<L extends readonly ApiDescriptor[]> = {
  [A in L[number] as A['apiKey']]: ResponseBody<A>;
};

/** Api keys by name for a list of APIs; refuses a list in which a key or a name repeats. */
export function apiKeyTable<const L extends readonly ApiDescriptor[]>(apis: L): ApiKeyTable<L> {
  const table: Record<string, number> = {};
  const keys = new Set<number>();
  for (const api of apis) {
    if (api.name in table || keys.has(api.apiKey)) {
      throw new Error(`API ${api.name} (key ${api.apiKey}) is declared twice`);
    }
    table[api.name] = api.apiKey;
    keys.add(api.apiKey);
  }
  return Object.freeze(table) as ApiKeyTable<L>;
}
