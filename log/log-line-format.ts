/**
 * One pino JSON log line as one line a person reads:
 * `01:02:03.456 WARN  controller broker=1: lost the session topic=orders`.
 * Used when SLUICE_LOG_FORMAT=pretty (e.g. under `sluice dev`); the JSON stays the default because
 * tools parse it.
 */

export type LogFormat = 'json' | 'pretty';

/** pino's numeric levels. */
const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields shown in the prefix, or not worth a column on a terminal. */
const PREFIX_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'component', 'brokerId', 'msg']);

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === 'object' && 'message' in value) {
    // pino's err serializer: the message is what a reader needs; the stack stays in the JSON format.
    return JSON.stringify(String((value as { message: unknown }).message));
  }
  return JSON.stringify(value) ?? String(value);
}

/** Formats one serialized pino record (with or without its newline); anything else comes back as is. */
export function formatLogLine(line: string): string {
  const newline = line.endsWith('\n') ? '\n' : '';
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (record === null || typeof record !== 'object' || !('level' in record)) return line;
  const fields = record as Record<string, unknown>;
  const time = typeof fields.time === 'number' ? new Date(fields.time).toISOString().slice(11, 23) : '';
  const level = (LEVEL_NAMES[fields.level as number] ?? String(fields.level)).padEnd(5);
  const who = [
    typeof fields.component === 'string' ? fields.component : undefined,
    fields.brokerId !== undefined ? `broker=${String(fields.brokerId)}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
  const extra = Object.entries(fields)
    .filter(([key]) => !PREFIX_FIELDS.has(key))
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  const message = typeof fields.msg === 'string' ? fields.msg : '';
  const head = [time, level, who ? `${who}:` : ''].filter((part) => part !== '').join(' ');
  return [head, message, ...extra].filter((part) => part !== '').join(' ') + newline;
}
