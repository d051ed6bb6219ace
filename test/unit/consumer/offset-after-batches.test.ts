import { describe, expect, it } from 'vitest';
import { offsetAfterBatches } from '../../../consumer/fetch-manager.js';
import { encodeRecordBatchSync } from '../../../protocol/record-batch.js';

const record = (value: string) => ({ key: null, value: Buffer.from(value) });

describe('offsetAfterBatches (where the next pipelined fetch starts)', () => {
  it('is one past the last offset of the last complete batch, ignoring a torn tail', () => {
    const first = encodeRecordBatchSync({
      baseOffset: 10n,
      records: [record('a'), record('b'), record('c')],
    });
    const second = encodeRecordBatchSync({ baseOffset: 13n, records: [record('d'), record('e')] });
    const third = encodeRecordBatchSync({ baseOffset: 15n, records: [record('f')] });
    expect(offsetAfterBatches(first)).toBe(13n);
    expect(offsetAfterBatches(Buffer.concat([first, second]))).toBe(15n);
    // A fetch cut at its byte limit ends in part of a batch: that batch is fetched again next time.
    const torn = Buffer.concat([first, second, third.subarray(0, third.length - 3)]);
    expect(offsetAfterBatches(torn)).toBe(15n);
  });

  it('is -1 (do not advance) when not even one batch is complete', () => {
    const only = encodeRecordBatchSync({ baseOffset: 0n, records: [record('x')] });
    expect(offsetAfterBatches(only.subarray(0, 30))).toBe(-1n);
    expect(offsetAfterBatches(Buffer.alloc(0))).toBe(-1n);
  });
});
