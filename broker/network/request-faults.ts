import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/**
 * Test-only request faults (the idea of franz-go kfake's ControlKey): make this broker delay a chosen
 * request type, cut the connection instead of handling it, or handle it and leave it unanswered. There
 * are no rules unless a test sets them: in-process through `requestFaults.set`, or, in a broker process
 * started with SLUICE_TEST_REQUEST_FAULTS=stdin, as JSON lines on its stdin (only the process that
 * started the broker can write there). The rules are process-wide: every broker in the process obeys.
 */
export type RequestFaultAction =
  /** The request waits `delayMs` before it is handled. */
  | 'delay'
  /** The connection is closed instead (the request is never handled), as a network failure would. */
  | 'disconnect'
  /** The request is handled (a Produce appends) but no response is sent: the client times out. */
  | 'drop-response';

export interface RequestFaultRule {
  apiKey: number;
  action: RequestFaultAction;
  delayMs?: number;
  /** How many matching requests the rule applies to; every one when absent. */
  count?: number;
}

/** An environment variable a test sets to `stdin` to let a broker process take fault rules there. */
export const REQUEST_FAULTS_ENV = 'SLUICE_TEST_REQUEST_FAULTS';

const ACTIONS: readonly string[] = ['delay', 'disconnect', 'drop-response'];

export class RequestFaults {
  private rules: Array<{ rule: RequestFaultRule; left: number }> = [];

  /** Any rule set (the dispatcher's fast path when false). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /** Replaces every rule; an empty list turns faults off. */
  set(rules: readonly RequestFaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule: { ...rule }, left: rule.count ?? Infinity }));
  }

  /** The rule that applies to a request of `apiKey`, using up one of its count. */
  take(apiKey: number): RequestFaultRule | undefined {
    const entry = this.rules.find((r) => r.rule.apiKey === apiKey && r.left > 0);
    if (!entry) return undefined;
    entry.left--;
    if (entry.left === 0) this.rules = this.rules.filter((r) => r !== entry);
    return entry.rule;
  }
}

/** The process-wide rules the request dispatcher consults. */
export const requestFaults = new RequestFaults();

export class RequestFaultRuleError extends Error {}

/** Parses one JSON line: an array of rules (`[]` clears them). Throws RequestFaultRuleError on bad input. */
export function parseRequestFaultRules(line: string): RequestFaultRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new RequestFaultRuleError(`not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new RequestFaultRuleError('expected an array of rules');
  return parsed.map((item: unknown, index) => {
    const rule = item as Partial<RequestFaultRule> | null;
    if (typeof rule !== 'object' || rule === null)
      throw new RequestFaultRuleError(`rule ${index} is not an object`);
    if (!Number.isInteger(rule.apiKey)) throw new RequestFaultRuleError(`rule ${index}: apiKey`);
    if (typeof rule.action !== 'string' || !ACTIONS.includes(rule.action))
      throw new RequestFaultRuleError(`rule ${index}: action must be one of ${ACTIONS.join(', ')}`);
    if (rule.action === 'delay' && !(typeof rule.delayMs === 'number' && rule.delayMs >= 0))
      throw new RequestFaultRuleError(`rule ${index}: delay needs delayMs >= 0`);
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count > 0))
      throw new RequestFaultRuleError(`rule ${index}: count must be a positive integer`);
    return {
      apiKey: rule.apiKey!,
      action: rule.action,
      ...(rule.delayMs !== undefined ? { delayMs: rule.delayMs } : {}),
      ...(rule.count !== undefined ? { count: rule.count } : {}),
    };
  });
}

/**
 * Reads rule lines from `input` into `faults`; `report` hears of each line's result (the broker
 * command prints it, so the test knows when its rules are in force).
 */
export function readRequestFaults(
  input: Readable,
  faults: RequestFaults,
  report: (result: { rules: number } | { error: string }) => void,
): void {
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      const rules = parseRequestFaultRules(line);
      faults.set(rules);
      report({ rules: rules.length });
    } catch (error) {
      report({ error: (error as Error).message });
    }
  });
}
