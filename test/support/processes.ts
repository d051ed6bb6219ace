import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { waitFor } from './wait.js';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const running = new Set<ChildProcess>();

function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.once('exit', killAll);

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written so far to stdout and stderr. */
  stdout(): string;
  stderr(): string;
  /** Resolves once the output contains `text` (or matches), or rejects at the deadline. */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /**
   * Sends `signal` and resolves with the exit code (or signal name). A process still running after
   * `exitTimeoutMs` is SIGKILLed and the call rejects, quoting the end of its stderr: a process that
   * ignores SIGTERM is a bug to report, not a test that hangs until its own timeout.
   */
  kill(signal?: NodeJS.Signals, exitTimeoutMs?: number): Promise<number | string>;
}

/** Starts a process that is killed when the test process exits, whatever happens to the test. */
export function startProcess(command: string, args: string[], options: SpawnOptions = {}): RunningProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForOutput(pattern, timeoutMs = 20_000) {
      const matches = () => {
        const text = out + err;
        return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      };
      await Promise.race([
        waitFor(matches, { timeoutMs, what: `output ${String(pattern)} from ${command} ${args.join(' ')}` }),
        exited.then((code) => {
          if (!matches())
            throw new Error(
              `${command} exited (${code}) before printing ${String(pattern)}:\n${out}\n${err}`,
            );
        }),
      ]);
      return out + err;
    },
    async kill(signal = 'SIGTERM', exitTimeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `${command} ${args.join(' ')} did not exit within ${exitTimeoutMs} ms of ${signal}; stderr ends:\n${err.slice(-4000)}`,
            ),
          );
        }, exitTimeoutMs);
      });
      try {
        return await Promise.race([exited, stuck]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs the sluice CLI from source (tsx), as a real separate process. */
export function startSluice(args: string[], options: SpawnOptions = {}): RunningProcess {
  return startProcess(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    ...options,
    env: {
      ...process.env,
      VITEST: undefined,
      SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn',
      ...(options.env ?? {}),
    },
  });
}

/** Runs a command to completion and returns its output; rejects on a non-zero exit unless allowed. */
export async function runToEnd(
  command: string,
  args: string[],
  {
    input,
    allowFailure = false,
    timeoutMs = 120_000,
    env,
  }: { input?: string | Buffer; allowFailure?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
  running.add(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.on('error', () => undefined);
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | string>((resolve) =>
    child.once('exit', (c, s) => {
      clearTimeout(timer);
      running.delete(child);
      resolve(c ?? s ?? -1);
    }),
  );
  // Let the pipes drain after exit.
  await new Promise((r) => setImmediate(r));
  const result = { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  if (!allowFailure && code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${result.stderr.slice(-2000)}`);
  }
  return result;
}
