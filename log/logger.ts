import { pino, type Logger } from 'pino';
import { formatLogLine, type LogFormat } from './log-line-format.js';

export type { Logger, LogFormat };

/**
 * The one structured logger. Library code takes a child of it (`rootLogger.child({ component })`);
 * SLUICE_LOG_LEVEL sets the level (default `info`, `silent` in tests unless asked for) and
 * SLUICE_LOG_FORMAT=pretty prints one readable line per record instead of JSON.
 * Logs go to stderr so that commands can keep stdout for their output.
 */
const defaultLevel = process.env.VITEST ? 'silent' : 'info';

/** Levels SLUICE_LOG_LEVEL and `--log-level` accept, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

let format: LogFormat = process.env.SLUICE_LOG_FORMAT === 'pretty' ? 'pretty' : 'json';

export const rootLogger: Logger = pino(
  {
    level: process.env.SLUICE_LOG_LEVEL ?? defaultLevel,
    base: { pid: process.pid },
    hooks: { streamWrite: (line) => (format === 'pretty' ? formatLogLine(line) : line) },
  },
  pino.destination(2),
);

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}

/**
 * For commands that pick the logging of their own process at run time (`sluice dev --log-level`).
 * Loggers made earlier follow, unless they were given a level of their own.
 */
export function configureLogging(options: { level?: LogLevel; format?: LogFormat }): void {
  if (options.level !== undefined) rootLogger.level = options.level;
  if (options.format !== undefined) format = options.format;
}
