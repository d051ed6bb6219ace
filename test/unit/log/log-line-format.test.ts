import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../../log/log-line-format.js';

describe('formatLogLine (SLUICE_LOG_FORMAT=pretty)', () => {
  it('prints time, level, component, broker, message and the other fields on one line', () => {
    const record = {
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      pid: 42,
      hostname: 'h',
      component: 'controller',
      brokerId: 1,
      topic: 'orders',
      isr: [1, 2],
      reason: 'session expired',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      msg: 'lost the session',
    };
    expect(formatLogLine(JSON.stringify(record) + '\n')).toBe(
      '03:04:05.678 WARN  controller broker=1: lost the session topic=orders isr=[1,2] reason="session expired" err="boom"\n',
    );
  });

  it('names every pino level and keeps a line without component or message readable', () => {
    const names = [10, 20, 30, 40, 50, 60].map((level) =>
      formatLogLine(JSON.stringify({ level, time: 0 }))
        .slice(13)
        .trim(),
    );
    expect(names).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
    expect(formatLogLine(JSON.stringify({ level: 30, time: 0, n: 1 }))).toBe('00:00:00.000 INFO  n=1');
  });

  it('passes anything that is not a pino record through unchanged', () => {
    for (const line of ['plain text\n', '{"no":"level"}', '[1,2]', 'null', '{broken']) {
      expect(formatLogLine(line)).toBe(line);
    }
  });
});
