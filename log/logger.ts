import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one structured logger. Library code takes a child of it (`rootLogger.child({ component })`);
 * SLUICE_LOG_LEVEL sets the level (default `info`, `silent` in tests unless asked for).
 * Logs go to stderr so that commands can keep stdout for their output.
 */
const defaultLevel = process.env.VITEST ? 'silent' : 'info';

export const rootLogger: Logger = pino(
  { level: process.env.SLUICE_LOG_LEVEL ?? defaultLevel, base: { pid: process.pid } },
  pino.destination(2),
);

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
