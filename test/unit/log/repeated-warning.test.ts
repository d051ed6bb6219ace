import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RepeatedWarning } from '../../../log/repeated-warning.js';

/** A pino logger writing into an array of parsed records. */
function capturingLogger(): { logger: pino.Logger; records: { msg: string; repeated?: number }[] } {
  const records: { msg: string; repeated?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as { msg: string; repeated?: number });
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), records };
}

describe('RepeatedWarning', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs the first occurrence at once and folds repeats into one count per window', () => {
    const { logger, records } = capturingLogger();
    const warning = new RepeatedWarning(logger, 10_000);
    for (let i = 0; i < 37; i++) warning.warn('fetcher-1', { leader: 1 }, 'replica fetch failed');
    expect(records.map((r) => r.msg)).toEqual(['replica fetch failed']);
    vi.advanceTimersByTime(10_000);
    expect(records.map((r) => r.msg)).toEqual([
      'replica fetch failed',
      'replica fetch failed (36 more in the last 10 s)',
    ]);
    expect(records[1]!.repeated).toBe(36);
    // Still failing: at most one line per window.
    for (let i = 0; i < 5; i++) warning.warn('fetcher-1', { leader: 1 }, 'replica fetch failed');
    vi.advanceTimersByTime(10_000);
    expect(records).toHaveLength(3);
    expect(records[2]!.msg).toBe('replica fetch failed (5 more in the last 10 s)');
    // A quiet window ends it: the next failure is logged at once.
    vi.advanceTimersByTime(10_000);
    warning.warn('fetcher-1', { leader: 1 }, 'replica fetch failed');
    expect(records).toHaveLength(4);
    expect(records[3]!.msg).toBe('replica fetch failed');
  });

  it('keeps keys apart, and resolved() reports the folded count and re-arms the key', () => {
    const { logger, records } = capturingLogger();
    const warning = new RepeatedWarning(logger, 10_000);
    warning.warn('a', {}, 'A failed');
    warning.warn('b', {}, 'B failed');
    warning.warn('a', {}, 'A failed');
    expect(records.map((r) => r.msg)).toEqual(['A failed', 'B failed']);
    warning.resolved('a');
    expect(records.map((r) => r.msg)).toEqual(['A failed', 'B failed', 'A failed (1 more in the last 10 s)']);
    warning.resolved('b'); // nothing folded: nothing to say
    warning.warn('a', {}, 'A failed');
    expect(records).toHaveLength(4);
    vi.advanceTimersByTime(30_000);
    expect(records).toHaveLength(4);
  });
});
