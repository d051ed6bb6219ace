import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponseBody } from '../../../protocol/codec.js';
import { ProtocolDecodeError, UnsupportedVersionError } from '../../../protocol/decode-error.js';
import { API_DESCRIPTORS, ApiKey } from '../../../protocol/messages/index.js';
import { messageArbitrary } from '../../support/declaration-arbitrary.js';

/**
 * Random and mutated frames for every API/version: decoding must either succeed or throw one of our typed
 * errors — never a RangeError/TypeError, never hang, never allocate from a forged length.
 */

const SLOW_DECODE_MS = 250;

function decodesSafely(decode: () => unknown): void {
  const started = performance.now();
  try {
    decode();
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError || e instanceof UnsupportedVersionError)) {
      throw new Error(`decoder threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
  }
  expect(performance.now() - started).toBeLessThan(SLOW_DECODE_MS);
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'inflate32'; at: number }
  | { kind: 'inflate16'; at: number }
  | { kind: 'inflateVarint'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('inflate32' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('inflate16' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('inflateVarint' as const), at: fc.nat() }),
);

function mutate(frame: Buffer, mutations: Mutation[], protectedPrefix: number): Buffer {
  let out = Buffer.from(frame);
  for (const m of mutations) {
    if (out.length <= protectedPrefix) break;
    const at = protectedPrefix + (m.at % (out.length - protectedPrefix));
    switch (m.kind) {
      case 'flip':
        out[at]! ^= 1 << m.bit;
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'inflate32':
        if (at + 4 <= out.length) out.writeInt32BE(0x7fffffff, at);
        break;
      case 'inflate16':
        if (at + 2 <= out.length) out.writeInt16BE(0x7fff, at);
        break;
      case 'inflateVarint':
        // a 5-byte uvarint of 2^32-1 spliced in where a compact length might sit
        out = Buffer.concat([
          out.subarray(0, at),
          Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
          out.subarray(at + 1),
        ]);
        break;
    }
  }
  return out;
}

const REQUEST_HEADER_BYTES = 8; // apiKey, apiVersion, correlationId stay intact so the body decoder is reached

describe('decoder fuzz', () => {
  for (const api of API_DESCRIPTORS) {
    const apiKey = api.apiKey as ApiKey;
    it(`${api.name}: mutated requests and responses for every version`, () => {
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        fc.assert(
          fc.property(
            messageArbitrary(api.request, version),
            messageArbitrary(api.response, version),
            fc.array(mutation, { minLength: 1, maxLength: 3 }),
            (request, response, mutations) => {
              const frame = encodeRequest(
                { apiKey, apiVersion: version, correlationId: 1, clientId: 'fuzz' },
                request as never,
              ).subarray(4);
              decodesSafely(() => decodeRequest(mutate(frame, mutations, REQUEST_HEADER_BYTES)));
              const body = encodeResponseBody(apiKey, version, response as never);
              const responseFrame = Buffer.concat([Buffer.from([0, 0, 0, 1]), body]);
              decodesSafely(() => decodeResponse(apiKey, version, mutate(responseFrame, mutations, 4)));
            },
          ),
          { numRuns: 30 },
        );
      }
    });

    it(`${api.name}: an int32 of 2^31-1 at every offset of a valid frame fails fast`, () => {
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        const [request, response] = fc.sample(
          fc.tuple(messageArbitrary(api.request, version), messageArbitrary(api.response, version)),
          { numRuns: 1, seed: version },
        )[0]!;
        const frame = encodeRequest(
          { apiKey, apiVersion: version, correlationId: 7, clientId: null },
          request as never,
        ).subarray(4);
        const responseFrame = Buffer.concat([
          Buffer.alloc(4),
          encodeResponseBody(apiKey, version, response as never),
        ]);
        for (let at = REQUEST_HEADER_BYTES; at + 4 <= frame.length; at++) {
          decodesSafely(() =>
            decodeRequest(
              mutate(frame, [{ kind: 'inflate32', at: at - REQUEST_HEADER_BYTES }], REQUEST_HEADER_BYTES),
            ),
          );
        }
        for (let at = 4; at + 4 <= responseFrame.length; at++) {
          decodesSafely(() =>
            decodeResponse(apiKey, version, mutate(responseFrame, [{ kind: 'inflate32', at: at - 4 }], 4)),
          );
        }
      }
    });
  }

  it('random frames never escape as anything but typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...API_DESCRIPTORS), (bytes, api) => {
        const raw = Buffer.from(bytes);
        decodesSafely(() => decodeRequest(raw));
        decodesSafely(() => decodeResponse(api.apiKey as ApiKey, api.maxVersion, raw));
        // same random body behind a valid header for this api's newest version
        const header = Buffer.alloc(10);
        header.writeInt16BE(api.apiKey, 0);
        header.writeInt16BE(api.maxVersion, 2);
        header.writeInt16BE(-1, 8); // null client id
        decodesSafely(() => decodeRequest(Buffer.concat([header, raw])));
      }),
      { numRuns: 2000 },
    );
  });

  it('a Metadata response claiming 2^31-1 brokers fails immediately without allocating', () => {
    const frame = Buffer.from([0, 0, 0, 9, 0x7f, 0xff, 0xff, 0xff]);
    const before = process.memoryUsage().heapUsed;
    expect(() => decodeResponse(ApiKey.Metadata, 0, frame)).toThrow(ProtocolDecodeError);
    expect(() => decodeResponse(ApiKey.Metadata, 0, frame)).toThrow(/brokers.*cannot fit/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('reports unknown api keys and versions with the correlation id for the ApiVersions fallback', () => {
    const frame = Buffer.from([0, 18, 0, 9, 0, 0, 0, 42, 0xff, 0xff]);
    try {
      decodeRequest(frame);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedVersionError);
      expect(e).toMatchObject({ apiKey: 18, apiVersion: 9, correlationId: 42 });
    }
    expect(() => decodeRequest(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1]))).toThrow(UnsupportedVersionError);
  });
});
