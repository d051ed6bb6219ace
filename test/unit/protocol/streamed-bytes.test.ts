import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  encodeResponse,
  encodeResponseChunks,
  encodeResponsePieces,
  StreamedBytes,
  streamedRecords,
  type FetchResponse,
} from '../../../protocol/index.js';

/** Bytes handed out in pieces of at most `pieceBytes`, as the broker streams a record slice. */
class PiecewiseBytes extends StreamedBytes {
  constructor(
    private readonly bytes: Buffer,
    private readonly pieceBytes: number,
  ) {
    super();
  }
  get length(): number {
    return this.bytes.length;
  }
  async *pieces(): AsyncIterable<Buffer> {
    for (let at = 0; at < this.bytes.length; at += this.pieceBytes) {
      yield this.bytes.subarray(at, at + this.pieceBytes);
    }
  }
}

function fetchBody(records: Buffer[]): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 't',
        partitions: records.map((r, i) => ({
          partitionIndex: i,
          errorCode: 0,
          highWatermark: 5n,
          lastStableOffset: 5n,
          logStartOffset: 0n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: r,
        })),
      },
    ],
  };
}

async function join(pieces: Array<Buffer | StreamedBytes>): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const piece of pieces) {
    if (Buffer.isBuffer(piece)) out.push(piece);
    else for await (const part of piece.pieces()) out.push(part);
  }
  return Buffer.concat(out);
}

describe('streamed record sets in an encoded response', () => {
  it('encode to the same bytes as the records in memory, sizes first', async () => {
    const big = Buffer.alloc(3_000_000, 5);
    const small = Buffer.from('small records');
    const empty = Buffer.alloc(0);
    for (const version of [4, 11, 12]) {
      const inMemory = encodeResponse(ApiKey.Fetch, version, 9, fetchBody([big, small, empty]));
      const body = fetchBody([big, small, empty].map((b) => streamedRecords(new PiecewiseBytes(b, 1 << 20))));
      const pieces = encodeResponsePieces(ApiKey.Fetch, version, 9, body);
      expect(pieces.some((p) => p instanceof StreamedBytes)).toBe(true);
      expect((await join(pieces)).equals(inMemory)).toBe(true);
      expect(() => encodeResponseChunks(ApiKey.Fetch, version, 9, body)).toThrow(/streamed/);
    }
  });
});
