import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeRequestBody,
  decodeResponse,
  decodeResponseBody,
  encodeRequest,
  encodeRequestBody,
  encodeResponse,
  encodeResponseBody,
} from '../../../protocol/codec.js';
import { API_DESCRIPTORS, type ApiKey } from '../../../protocol/messages/index.js';
import { messageArbitrary } from '../../support/declaration-arbitrary.js';

// Bodies are typed per api key; the arbitraries produce them from the declarations, so the casts below
// only bridge the generic test loop to the typed API.
type AnyBody = never;

const RUNS = 40;

describe('every API × version round-trips through the codec', () => {
  for (const api of API_DESCRIPTORS) {
    const apiKey = api.apiKey as ApiKey;
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      it(`${api.name} v${version} request`, () => {
        fc.assert(
          fc.property(
            messageArbitrary(api.request, version),
            fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            (body, correlationId) => {
              const bytes = encodeRequestBody(apiKey, version, body as AnyBody);
              expect(decodeRequestBody(apiKey, version, bytes)).toEqual(body);
              const framed = encodeRequest(
                { apiKey, apiVersion: version, correlationId, clientId: 'rt' },
                body as AnyBody,
              );
              expect(framed.readInt32BE(0)).toBe(framed.length - 4);
              const decoded = decodeRequest(framed.subarray(4));
              expect(decoded.header).toEqual({ apiKey, apiVersion: version, correlationId, clientId: 'rt' });
              expect(decoded.body).toEqual(body);
            },
          ),
          { numRuns: RUNS },
        );
      });
      it(`${api.name} v${version} response`, () => {
        fc.assert(
          fc.property(
            messageArbitrary(api.response, version),
            fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            (body, correlationId) => {
              const bytes = encodeResponseBody(apiKey, version, body as AnyBody);
              expect(decodeResponseBody(apiKey, version, bytes)).toEqual(body);
              const framed = encodeResponse(apiKey, version, correlationId, body as AnyBody);
              expect(framed.readInt32BE(0)).toBe(framed.length - 4);
              const decoded = decodeResponse(apiKey, version, framed.subarray(4));
              expect(decoded.header.correlationId).toBe(correlationId);
              expect(decoded.body).toEqual(body);
            },
          ),
          { numRuns: RUNS },
        );
      });
    }
  }
});
