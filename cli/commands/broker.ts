import type { Command } from 'commander';
import { startBroker } from '../../broker/broker.js';
import { ConfigError, loadBrokerConfig } from '../../broker/config.js';
import { watchParentLink } from '../parent-link.js';
import { readRequestFaults, REQUEST_FAULTS_ENV, requestFaults } from '../../broker/network/request-faults.js';

/** After SIGINT/SIGTERM, how long the broker may take to stop before it exits anyway. */
const SHUTDOWN_LIMIT_MS = 20_000;
/**
 * When the `sluice dev` that started this broker died: its coordinator (in dev's process) is gone, so
 * shutdown steps that need it cannot finish; close what closes quickly and go.
 */
const ORPHANED_SHUTDOWN_LIMIT_MS = 2_000;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return `config error: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && 'path' in error)
      return `cannot read ${String((error as NodeJS.ErrnoException).path)}`;
    if (code === 'EADDRINUSE') return `address already in use: ${error.message}`;
    return error.message;
  }
  return String(error);
}

/** `sluice broker [server.properties] [--override key=value]…`: one broker. */
export function registerBrokerCommand(program: Command): void {
  program
    .command('broker')
    .description('run one broker (Kafka server.properties keys; flags override the file)')
    .argument('[server.properties]', 'broker config file with Kafka key names')
    .option(
      '--override <key=value>',
      'set a config key (repeatable), e.g. --override broker.id=2',
      collect,
      [],
    )
    .action(async (file: string | undefined, options: { override: string[] }) => {
      // Before anything else: a `sluice dev` that dies while this broker starts must not leave it behind.
      let onParentGone = (): void => process.exit(1);
      watchParentLink(() => {
        // Our stdout and stderr were pipes to dev: writing to them now fails, and that must not matter.
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
        onParentGone();
      });
      let broker;
      try {
        const config = await loadBrokerConfig({ file, overrides: options.override });
        broker = await startBroker(config);
      } catch (error) {
        console.error(`sluice broker: ${describeFailure(error)}`);
        process.exit(1);
      }
      for (const listener of broker.listeners) {
        console.log(`sluice broker ${broker.brokerId} listening on ${listener.host}:${listener.port}`);
      }
      const running = broker;
      if (process.env[REQUEST_FAULTS_ENV] === 'stdin') {
        // Tests only: the process that started this broker sets request faults on its stdin.
        readRequestFaults(process.stdin, requestFaults, (result) => {
          if ('error' in result) console.error(`sluice broker: bad request fault rules: ${result.error}`);
          else console.log(`sluice broker ${running.brokerId} request faults set: ${result.rules} rule(s)`);
        });
      }
      let stopping = false;
      const stop = (signal: string, limitMs = SHUTDOWN_LIMIT_MS) => {
        if (stopping) return;
        stopping = true;
        // A shutdown step that never ends (a peer that stopped answering) must not keep the process alive.
        setTimeout(() => {
          console.error(`sluice broker: shutdown did not finish within ${limitMs / 1000} s; exiting`);
          process.exit(1);
        }, limitMs).unref();
        void running.close().then(
          () => {
            console.log(`sluice broker ${running.brokerId} stopped (${signal})`);
            process.exit(0);
          },
          (error: unknown) => {
            console.error(`sluice broker: unclean shutdown: ${describeFailure(error)}`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      onParentGone = () => stop('sluice dev exited', ORPHANED_SHUTDOWN_LIMIT_MS);
    });
}
