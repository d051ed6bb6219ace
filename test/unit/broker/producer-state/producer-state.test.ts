import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../../broker/log/partition-log.js';
import { PartitionProducerState } from '../../../../broker/producer-state/partition-producer-state.js';
import { ProducerStateTable } from '../../../../broker/producer-state/producer-state-table.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import { encodeRecordBatchSync } from '../../../../protocol/record-batch.js';

const header = (producerId: bigint, baseSequence: number, count = 1, producerEpoch = 0) => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastOffsetDelta: count - 1,
});

describe('producer state table', () => {
  it('appends in sequence, answers duplicates of the last 5 batches with their offsets, rejects gaps', () => {
    const table = new ProducerStateTable();
    expect(table.check(header(7n, 3))).toMatchObject({
      kind: 'reject',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    for (let b = 0; b < 7; b++) {
      const h = header(7n, b * 10, 10);
      expect(table.check(h)).toEqual({ kind: 'append' });
      table.record(h, BigInt(b * 10), BigInt(b * 10 + 9));
    }
    expect(table.check(header(7n, 60, 10))).toEqual({ kind: 'duplicate', firstOffset: 60n, lastOffset: 69n });
    expect(table.check(header(7n, 20, 10))).toEqual({ kind: 'duplicate', firstOffset: 20n, lastOffset: 29n });
    // Older than the last 5: no longer known, so it is out of order rather than a duplicate.
    expect(table.check(header(7n, 10, 10)).kind).toBe('reject');
    expect(table.check(header(7n, 71))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(table.check(header(7n, 70))).toEqual({ kind: 'append' });
  });

  it('fences older epochs and restarts numbering on a newer one', () => {
    const table = new ProducerStateTable();
    table.record(header(1n, 0, 1, 3), 0n, 0n);
    expect(table.check(header(1n, 1, 1, 2))).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(table.check(header(1n, 5, 1, 4))).toMatchObject({
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(table.check(header(1n, 0, 1, 4))).toEqual({ kind: 'append' });
  });

  it('wraps sequences at 2^31', () => {
    const table = new ProducerStateTable();
    table.record(header(2n, 0), 0n, 0n);
    table.entries.get(2n)!.batches[0]!.lastSequence = 0x7ffffffe;
    const wrapping = header(2n, 0x7fffffff, 3);
    expect(table.check(wrapping)).toEqual({ kind: 'append' });
    table.record(wrapping, 1n, 3n);
    expect(table.check(header(2n, 2))).toEqual({ kind: 'append' });
  });
});

describe('partition producer state with a real log', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const batch = (producerId: bigint, baseSequence: number, count: number) =>
    encodeRecordBatchSync({
      records: Array.from({ length: count }, (_, i) => ({
        key: null,
        value: Buffer.from(`r${baseSequence + i}`),
      })),
      producerId,
      producerEpoch: 0,
      baseSequence,
    });

  async function appendVia(
    state: PartitionProducerState,
    log: PartitionLog,
    producerId: bigint,
    seq: number,
    count: number,
  ) {
    const bytes = batch(producerId, seq, count);
    return state.appendIdempotent(header(producerId, seq, count), () =>
      log.append(bytes, { leaderEpoch: 0 }),
    );
  }

  it('de-duplicates across a restart: from the snapshot plus replayed headers, and from headers alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-pstate-'));
    dirs.push(dir);
    const partitionDir = join(dir, 't-0');
    let log = await PartitionLog.open({ dir: partitionDir });
    let state = new PartitionProducerState(log);
    expect(await appendVia(state, log, 5n, 0, 3)).toMatchObject({ kind: 'appended' });
    await state.snapshot();
    // After the snapshot: a batch only the log knows about.
    expect(await appendVia(state, log, 5n, 3, 2)).toMatchObject({ kind: 'appended' });
    await log.append(encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('plain') }] }), {
      leaderEpoch: 0,
    });
    await log.close();

    log = await PartitionLog.open({ dir: partitionDir });
    state = new PartitionProducerState(log);
    expect(await appendVia(state, log, 5n, 3, 2)).toEqual({
      kind: 'duplicate',
      firstOffset: 3n,
      lastOffset: 4n,
    });
    expect(await appendVia(state, log, 5n, 0, 3)).toEqual({
      kind: 'duplicate',
      firstOffset: 0n,
      lastOffset: 2n,
    });
    expect(await appendVia(state, log, 5n, 9, 1)).toMatchObject({
      kind: 'reject',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    const next = await appendVia(state, log, 5n, 5, 1);
    expect(next.kind === 'appended' && next.result.baseOffset).toBe(6n);
    await log.close();

    // Without the snapshot file, the headers in the log rebuild the same state.
    const { unlink } = await import('node:fs/promises');
    await unlink(join(partitionDir, 'producer-state.snapshot'));
    log = await PartitionLog.open({ dir: partitionDir });
    state = new PartitionProducerState(log);
    expect(await appendVia(state, log, 5n, 5, 1)).toEqual({
      kind: 'duplicate',
      firstOffset: 6n,
      lastOffset: 6n,
    });
    expect(await appendVia(state, log, 5n, 6, 1)).toMatchObject({ kind: 'appended' });
    await log.close();
  });
});
