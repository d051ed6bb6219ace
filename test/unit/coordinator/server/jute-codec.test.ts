import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteDecodeError, JuteReader, JuteWriter } from '../../../../coordinator/server/jute.js';
import {
  readConnectRequest,
  readConnectResponse,
  readCreateRequest,
  readMultiRequest,
  readSetWatches,
  readStat,
  writeConnectRequest,
  writeConnectResponse,
  writeCreateRequest,
  writeMultiHeader,
  writeStat,
  type Stat,
} from '../../../../coordinator/server/records.js';
import { decodeTxnRecord, encodeTxnRecord, type TxnRecord } from '../../../../coordinator/server/txn.js';
import { frameLogRecord, readLogFile } from '../../../../coordinator/server/txn-log.js';

const long = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const sessionId = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const stat: fc.Arbitrary<Stat> = fc.record({
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int,
  cversion: int,
  aversion: int,
  ephemeralOwner: sessionId,
  dataLength: int,
  numChildren: int,
  pzxid: long,
});
const acl = fc.array(
  fc.record({
    perms: fc.integer({ min: 0, max: 31 }),
    id: fc.record({ scheme: fc.string(), id: fc.string() }),
  }),
  { maxLength: 3 },
);
const data = fc.option(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  { nil: null },
);

describe('jute primitives', () => {
  it('round-trips ints, longs, bools, buffers, strings and vectors', () => {
    fc.assert(
      fc.property(
        int,
        long,
        sessionId,
        fc.boolean(),
        data,
        fc.string(),
        fc.array(fc.string()),
        (i, l, b, flag, buf, s, v) => {
          const bytes = new JuteWriter(4)
            .int(i)
            .long(l)
            .bigLong(b)
            .bool(flag)
            .buffer_(buf)
            .string(s)
            .vector(v, (w, x) => w.string(x))
            .bytes();
          const r = new JuteReader(bytes);
          expect([
            r.int(),
            r.long(),
            r.bigLong(),
            r.bool(),
            r.buffer_(),
            r.string(),
            r.vector((x) => x.string()),
          ]).toEqual([i, l, b, flag, buf, s, v]);
          expect(r.remaining).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes longs as the same 8 bytes as a 64-bit two’s-complement integer', () => {
    fc.assert(
      fc.property(long, (value) => {
        expect(new JuteWriter().long(value).bytes().readBigInt64BE(0)).toBe(BigInt(value));
      }),
    );
  });

  it('frames with a length prefix that counts the bytes after it', () => {
    const frame = JuteWriter.framed(1).int(7).string('abc').frame();
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.length).toBe(4 + 4 + 4 + 3);
  });

  it('refuses truncated input, negative lengths and absurd vector counts', () => {
    expect(() => new JuteReader(Buffer.from([0, 0, 0])).int()).toThrow(JuteDecodeError);
    expect(() => new JuteReader(Buffer.from([0, 0, 0, 9, 1])).string()).toThrow(JuteDecodeError);
    expect(() => new JuteReader(Buffer.from([0xff, 0xff, 0xff, 0xf0])).buffer_()).toThrow(JuteDecodeError);
    expect(() => new JuteReader(Buffer.from([0x7f, 0, 0, 0, 1])).vector((r) => r.int())).toThrow(
      JuteDecodeError,
    );
    expect(new JuteReader(Buffer.from([0xff, 0xff, 0xff, 0xff])).buffer_()).toBeNull();
  });
});

describe('jute records', () => {
  it('round-trips Stat field by field in wire order (68 bytes)', () => {
    fc.assert(
      fc.property(stat, (s) => {
        const w = new JuteWriter();
        writeStat(w, s);
        expect(w.bytes().length).toBe(68);
        expect(readStat(new JuteReader(w.bytes()))).toEqual(s);
      }),
    );
  });

  it('reads ConnectRequest with and without the trailing readOnly byte', () => {
    for (const readOnly of [undefined, false, true]) {
      const request = {
        protocolVersion: 0,
        lastZxidSeen: 42,
        timeOut: 30_000,
        sessionId: 0x1234n,
        passwd: Buffer.alloc(16, 7),
        readOnly,
      };
      const w = new JuteWriter();
      writeConnectRequest(w, request);
      expect(w.bytes().length).toBe(4 + 8 + 4 + 8 + 4 + 16 + (readOnly === undefined ? 0 : 1));
      expect(readConnectRequest(new JuteReader(w.bytes()))).toEqual(request);
    }
  });

  it('writes the readOnly byte of a ConnectResponse only when asked to', () => {
    const base = { protocolVersion: 0, timeOut: 4000, sessionId: -5n, passwd: Buffer.alloc(16, 1) };
    const without = new JuteWriter();
    writeConnectResponse(without, { ...base, readOnly: undefined });
    const withByte = new JuteWriter();
    writeConnectResponse(withByte, { ...base, readOnly: false });
    expect(withByte.bytes().length).toBe(without.bytes().length + 1);
    expect(readConnectResponse(new JuteReader(without.bytes()))).toEqual({ ...base, readOnly: undefined });
  });

  it('round-trips CreateRequest and reads a multi up to its done header', () => {
    fc.assert(
      fc.property(fc.string(), data, acl, fc.integer({ min: 0, max: 3 }), (path, d, a, flags) => {
        const w = new JuteWriter();
        writeMultiHeader(w, { type: 1, done: false, err: -1 });
        writeCreateRequest(w, { path, data: d, acl: a, flags, ttl: -1 });
        writeMultiHeader(w, { type: 13, done: false, err: -1 });
        w.string('/x').int(3);
        writeMultiHeader(w, { type: -1, done: true, err: -1 });
        const ops = readMultiRequest(new JuteReader(w.bytes()));
        expect(ops).toEqual([
          { type: 1, request: { path, data: d, acl: a, flags, ttl: -1 } },
          { type: 13, request: { path: '/x', version: 3 } },
        ]);
        const single = new JuteWriter();
        writeCreateRequest(single, { path, data: d, acl: a, flags, ttl: -1 });
        expect(readCreateRequest(new JuteReader(single.bytes()))).toEqual({
          path,
          data: d,
          acl: a,
          flags,
          ttl: -1,
        });
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a multi op type that multi does not allow', () => {
    const w = new JuteWriter();
    writeMultiHeader(w, { type: 4, done: false, err: -1 });
    w.string('/x').bool(false);
    expect(() => readMultiRequest(new JuteReader(w.bytes()))).toThrow(JuteDecodeError);
  });

  it('reads SetWatches and SetWatches2', () => {
    const w = new JuteWriter().long(9);
    for (const list of [['/a'], ['/b', '/c'], [], ['/p'], ['/r']]) w.vector(list, (x, s) => x.string(s));
    expect(readSetWatches(new JuteReader(w.bytes()), true)).toEqual({
      relativeZxid: 9,
      dataWatches: ['/a'],
      existWatches: ['/b', '/c'],
      childWatches: [],
      persistentWatches: ['/p'],
      persistentRecursiveWatches: ['/r'],
    });
    expect(readSetWatches(new JuteReader(w.bytes()), false).persistentWatches).toEqual([]);
  });
});

describe('transaction records and the log format', () => {
  const record = (zxid: number): TxnRecord => ({
    zxid,
    time: 1_700_000_000_000 + zxid,
    txn: {
      type: 'multi',
      ops: [
        {
          type: 'create',
          path: `/n${zxid}`,
          data: Buffer.from('d'),
          acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
          ephemeralOwner: 77n,
        },
        { type: 'setData', path: '/x', data: null },
        { type: 'delete', path: '/y' },
        { type: 'setACL', path: '/z', acl: [] },
      ],
    },
  });

  it('round-trips every transaction kind', () => {
    for (const r of [
      record(5),
      {
        zxid: 6,
        time: 1,
        txn: {
          type: 'createSession' as const,
          sessionId: 2n ** 62n,
          timeoutMs: 4000,
          passwd: Buffer.alloc(16, 3),
        },
      },
      { zxid: 7, time: 1, txn: { type: 'closeSession' as const, sessionId: 9n } },
      { zxid: 8, time: 1, txn: { type: 'noop' as const } },
    ]) {
      expect(decodeTxnRecord(encodeTxnRecord(r))).toEqual(r);
    }
  });

  it('stops at a torn or corrupt tail and reports the valid length', () => {
    const frames = [1, 2, 3].map((z) => frameLogRecord(record(z)));
    const whole = Buffer.concat(frames);
    expect(readLogFile(whole).records.map((r) => r.zxid)).toEqual([1, 2, 3]);
    const torn = whole.subarray(0, whole.length - 5);
    expect(readLogFile(torn)).toMatchObject({ validLength: frames[0]!.length + frames[1]!.length });
    const corrupt = Buffer.from(whole);
    corrupt[frames[0]!.length + 12]! ^= 0xff;
    expect(readLogFile(corrupt).records.map((r) => r.zxid)).toEqual([1]);
  });
});
