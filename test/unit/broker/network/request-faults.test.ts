import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  parseRequestFaultRules,
  readRequestFaults,
  RequestFaultRuleError,
  RequestFaults,
} from '../../../../broker/network/request-faults.js';
import { waitFor } from '../../../support/wait.js';

describe('RequestFaults', () => {
  it('applies a rule to its api key only, as many times as its count', () => {
    const faults = new RequestFaults();
    expect(faults.active).toBe(false);
    faults.set([
      { apiKey: 0, action: 'drop-response', count: 2 },
      { apiKey: 1, action: 'delay', delayMs: 50 },
    ]);
    expect(faults.take(3)).toBeUndefined();
    expect(faults.take(0)?.action).toBe('drop-response');
    expect(faults.take(0)?.action).toBe('drop-response');
    expect(faults.take(0)).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(faults.take(1)).toEqual({ apiKey: 1, action: 'delay', delayMs: 50 });
    faults.set([]);
    expect(faults.active).toBe(false);
    expect(faults.take(1)).toBeUndefined();
  });

  it('parses rule lines and refuses bad ones with a reason', () => {
    expect(parseRequestFaultRules('[{"apiKey":1,"action":"disconnect","count":3}]')).toEqual([
      { apiKey: 1, action: 'disconnect', count: 3 },
    ]);
    expect(parseRequestFaultRules('[]')).toEqual([]);
    for (const bad of [
      'nope',
      '{"apiKey":1}',
      '[{"apiKey":"1","action":"disconnect"}]',
      '[{"apiKey":1,"action":"explode"}]',
      '[{"apiKey":1,"action":"delay"}]',
      '[{"apiKey":1,"action":"disconnect","count":0}]',
      '[null]',
    ]) {
      expect(() => parseRequestFaultRules(bad), bad).toThrow(RequestFaultRuleError);
    }
  });

  it('takes rules from a stream, one JSON line at a time, and reports each line', async () => {
    const input = new PassThrough();
    const faults = new RequestFaults();
    const reports: unknown[] = [];
    readRequestFaults(input, faults, (result) => reports.push(result));
    input.write('[{"apiKey":0,"action":"drop-response"}]\n');
    await waitFor(() => reports.length === 1, { what: 'first line read' });
    expect(faults.take(0)?.action).toBe('drop-response');
    input.write('broken\n');
    await waitFor(() => reports.length === 2, { what: 'second line read' });
    expect(reports[1]).toHaveProperty('error');
    expect(faults.active).toBe(true); // a bad line leaves the rules as they were
    input.end('[]\n');
    await waitFor(() => reports.length === 3, { what: 'third line read' });
    expect(reports).toEqual([{ rules: 1 }, reports[1], { rules: 0 }]);
    expect(faults.active).toBe(false);
  });
});
