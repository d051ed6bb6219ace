import type { Logger } from 'pino';

/** How long repeats of one warning are folded into a count. */
export const REPEAT_WINDOW_MS = 10_000;

interface Pending {
  suppressed: number;
  /** The latest suppressed occurrence's fields, for the summary line. */
  fields: Record<string, unknown>;
  msg: string;
  timer: NodeJS.Timeout;
}

/**
 * A warning that a retry loop may hit many times a second (a fetcher whose leader died, a ZooKeeper
 * write that keeps failing): the first occurrence of each key is logged at once, the repeats within
 * the next window become one line "… N more in the last 10 s" at the window's end. `resolved(key)`
 * (the thing worked again) ends the window early, so the next failure is logged at once.
 */
export class RepeatedWarning {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = REPEAT_WINDOW_MS,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const pending = this.pending.get(key);
    if (pending !== undefined) {
      pending.suppressed++;
      pending.fields = fields;
      pending.msg = msg;
      return;
    }
    this.logger.warn(fields, msg);
    this.open(key, fields, msg);
  }

  /** The failure behind `key` is over: report what was folded and log its next occurrence at once. */
  resolved(key: string): void {
    this.flush(key, false);
  }

  private open(key: string, fields: Record<string, unknown>, msg: string): void {
    const timer = setTimeout(() => this.flush(key, true), this.windowMs);
    timer.unref();
    this.pending.set(key, { suppressed: 0, fields, msg, timer });
  }

  private flush(key: string, stillFailing: boolean): void {
    const pending = this.pending.get(key);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending.delete(key);
    if (pending.suppressed === 0) return;
    const seconds = Math.round(this.windowMs / 1000);
    this.logger.warn(
      { ...pending.fields, repeated: pending.suppressed },
      `${pending.msg} (${pending.suppressed} more in the last ${seconds} s)`,
    );
    // A failure that goes on yields one line per window.
    if (stillFailing) this.open(key, pending.fields, pending.msg);
  }
}
