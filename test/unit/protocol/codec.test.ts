import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeRequestChunks,
  encodeResponse,
  encodeResponseChunks,
  headerVersions,
  peekCorrelationId,
} from '../../../protocol/codec.js';
import { UnsupportedVersionError } from '../../../protocol/decode-error.js';
import {
  readRequestHeader,
  readResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from '../../../protocol/headers.js';
import { API_DESCRIPTORS, ApiKey, apiDescriptor } from '../../../protocol/messages/index.js';
import { Reader } from '../../../protocol/primitives/reader.js';
import { Writer } from '../../../protocol/primitives/writer.js';
import { parseVersionRange, type FieldDeclaration } from '../../../protocol/schema/declaration.js';

describe('headers', () => {
  it('request header v1 and v2 differ only by the trailing tag buffer; client id stays non-compact', () => {
    const header = { apiKey: 3, apiVersion: 9, correlationId: 77, clientId: 'cli' };
    const v1 = new Writer();
    writeRequestHeader(v1, header, 1);
    const v2 = new Writer();
    writeRequestHeader(v2, header, 2);
    const b1 = v1.finish();
    const b2 = v2.finish();
    expect([...b1]).toEqual([0, 3, 0, 9, 0, 0, 0, 77, 0, 3, 0x63, 0x6c, 0x69]);
    expect([...b2]).toEqual([...b1, 0]);
    expect(readRequestHeader(new Reader(b2), 2)).toEqual(header);
    const nullClient = new Writer();
    writeRequestHeader(nullClient, { ...header, clientId: null }, 2);
    expect(readRequestHeader(new Reader(nullClient.finish()), 2).clientId).toBeNull();
  });

  it('response header v0 is the correlation id; v1 adds a tag buffer', () => {
    const v0 = new Writer();
    writeResponseHeader(v0, 5, 0);
    const v1 = new Writer();
    writeResponseHeader(v1, 5, 1);
    expect([...v0.finish()]).toEqual([0, 0, 0, 5]);
    expect([...v1.finish()]).toEqual([0, 0, 0, 5, 0]);
    expect(readResponseHeader(new Reader(Buffer.from([0, 0, 0, 5, 0])), 1)).toEqual({ correlationId: 5 });
  });

  it('picks header versions from flexibility, with ApiVersions responses always on v0', () => {
    expect(requestHeaderVersion(false)).toBe(1);
    expect(requestHeaderVersion(true)).toBe(2);
    expect(responseHeaderVersion(ApiKey.Metadata, true)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, false)).toBe(0);
    expect(responseHeaderVersion(ApiKey.ApiVersions, true)).toBe(0);
    expect(headerVersions(ApiKey.Fetch, 11)).toEqual({ request: 1, response: 0 });
    expect(headerVersions(ApiKey.Fetch, 12)).toEqual({ request: 2, response: 1 });
    expect(headerVersions(ApiKey.ApiVersions, 3)).toEqual({ request: 2, response: 0 });
    expect(() => headerVersions(ApiKey.Fetch, 13)).toThrow(UnsupportedVersionError);
  });

  it('ApiVersions v3 response frames use header v0 and carry tagged fields in the body', () => {
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 99, {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 4n,
    });
    // size, correlation id, then straight into the body: errorCode int16 (no header tag buffer)
    expect(frame.readInt32BE(4)).toBe(99);
    expect(frame.readInt16BE(8)).toBe(0);
    const { header, body } = decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4));
    expect(header.correlationId).toBe(99);
    expect(body.finalizedFeaturesEpoch).toBe(4n);
    expect(body.supportedFeatures).toBeUndefined();
    expect(peekCorrelationId(frame.subarray(4))).toBe(99);
  });
});

describe('encoding details', () => {
  it('writes declared defaults for fields the body leaves out', () => {
    const frame = encodeRequest(
      { apiKey: ApiKey.Metadata, apiVersion: 4, correlationId: 1, clientId: null },
      {
        topics: null,
      },
    );
    const { body } = decodeRequest(frame.subarray(4));
    expect(body).toEqual({ topics: null, allowAutoTopicCreation: true });
  });

  it('refuses null where the version does not allow it', () => {
    expect(() =>
      encodeRequest(
        { apiKey: ApiKey.Metadata, apiVersion: 0, correlationId: 1, clientId: null },
        { topics: null },
      ),
    ).toThrow(/topics.*null/);
  });

  it('references big records buffers in the chunked form and matches the single-buffer form', () => {
    const records = Buffer.alloc(1 << 20, 7);
    const body = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 5n,
              lastStableOffset: 5n,
              logStartOffset: 0n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records,
            },
            {
              partitionIndex: 1,
              errorCode: 0,
              highWatermark: 0n,
              lastStableOffset: 0n,
              logStartOffset: 0n,
              abortedTransactions: [],
              preferredReadReplica: -1,
              records,
            },
          ],
        },
      ],
    };
    for (const version of [11, 12]) {
      const chunks = encodeResponseChunks(ApiKey.Fetch, version, 3, body);
      expect(chunks.filter((c) => c === records)).toHaveLength(2);
      const whole = encodeResponse(ApiKey.Fetch, version, 3, body);
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
      expect(whole.readInt32BE(0)).toBe(whole.length - 4);
      const decoded = decodeResponse(ApiKey.Fetch, version, whole.subarray(4)).body;
      expect(decoded.responses[0]!.partitions[1]!.records!.equals(records)).toBe(true);
    }
    const produce = {
      transactionalId: null,
      acks: 1,
      timeoutMs: 10,
      topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
    };
    const header = { apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 4, clientId: 'c' };
    expect(Buffer.concat(encodeRequestChunks(header, produce)).equals(encodeRequest(header, produce))).toBe(
      true,
    );
  });

  it('keeps the size prefix right when the writer regrows after referencing a chunk', () => {
    const w = new Writer(16);
    const at = w.reserveInt32();
    w.writeInt8(1).writeRawRef(Buffer.alloc(70_000, 1));
    for (let i = 0; i < 100; i++) w.writeInt32(i); // forces growth of the internal buffer
    w.setInt32At(at, w.length - 4);
    const out = w.finish();
    expect(out.length).toBe(4 + 1 + 70_000 + 400);
    expect(out.readInt32BE(0)).toBe(out.length - 4);
    expect(out.readInt32BE(out.length - 4)).toBe(99);
  });
});

describe('declarations', () => {
  function walk(
    fields: readonly FieldDeclaration[],
    min: number,
    max: number,
    where: string,
    problems: string[],
  ): void {
    const tags = new Set<number>();
    const names = new Set<string>();
    for (const f of fields) {
      const at = `${where}.${f.name}`;
      if (names.has(f.name)) problems.push(`${at}: duplicate name`);
      names.add(f.name);
      let fmin = min;
      let fmax = max;
      if (f.versions !== undefined) {
        const r = parseVersionRange(f.versions);
        // A `versions` that covers the whole enclosing range would make the body type lie (optional field)
        if (r.min <= min && r.max >= max)
          problems.push(`${at}: versions ${f.versions} covers the whole range`);
        if (r.min > max || r.max < min) problems.push(`${at}: versions ${f.versions} outside ${min}-${max}`);
        fmin = Math.max(min, r.min);
        fmax = Math.min(max, r.max);
      }
      if (f.nullable !== undefined) parseVersionRange(f.nullable);
      if (f.tag !== undefined) {
        if (tags.has(f.tag)) problems.push(`${at}: duplicate tag ${f.tag}`);
        tags.add(f.tag);
      }
      if ((f.type === 'struct' || f.type === '[]struct') !== (f.fields !== undefined))
        problems.push(`${at}: fields/type mismatch`);
      if (f.type === 'records' && f.nullable === undefined) problems.push(`${at}: records must be nullable`);
      if (f.fields) walk(f.fields, fmin, fmax, at, problems);
    }
  }

  it('are internally consistent', () => {
    const problems: string[] = [];
    for (const api of API_DESCRIPTORS) {
      for (const decl of [api.request, api.response]) {
        expect(decl.apiKey).toBe(api.apiKey);
        expect(decl.versions).toEqual([api.minVersion, api.maxVersion]);
        expect(decl.flexibleFrom).toBe(api.flexibleFrom);
        walk(decl.fields, decl.versions[0], decl.versions[1], `${decl.name}${decl.kind}`, problems);
      }
    }
    expect(problems).toEqual([]);
  });

  it('match the advertised version table', () => {
    const table: [number, number, number, number | null][] = [
      [0, 0, 9, 9],
      [1, 4, 12, 12],
      [2, 0, 6, 6],
      [3, 0, 9, 9],
      [8, 0, 8, 8],
      [9, 1, 8, 6],
      [10, 0, 4, 3],
      [11, 0, 6, 6],
      [12, 0, 4, 4],
      [13, 0, 4, 4],
      [14, 0, 4, 4],
      [15, 0, 5, 5],
      [16, 0, 4, 3],
      [17, 0, 1, null],
      [18, 0, 3, 3],
      [19, 0, 7, 5],
      [20, 0, 6, 4],
      [22, 0, 4, 2],
      [23, 0, 3, null],
      [32, 0, 2, null],
      [36, 0, 2, 2],
      [42, 0, 2, 2],
      [47, 0, 0, null],
    ];
    expect(API_DESCRIPTORS.map((a) => [a.apiKey, a.minVersion, a.maxVersion, a.flexibleFrom])).toEqual(table);
    expect(apiDescriptor(99)).toBeUndefined();
  });
});
