import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_FOUR_LETTER_WORD_WHITELIST, startZooKeeperServer } from '../../coordinator/server/index.js';
import { integerOption } from './client-options.js';

/** `sluice coordinator`: the embedded ZooKeeper-compatible server on its own. */
export function registerCoordinatorCommand(program: Command): void {
  program
    .command('coordinator')
    .description('run the embedded ZooKeeper-compatible coordinator (single node)')
    .option('--port <port>', 'client port (0 = any free port)', integerOption('port', 0, 65535), 2181)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--data-dir <dir>',
      'where the transaction log and snapshots live (omit: in memory, nothing survives)',
    )
    .option(
      '--tick-time <ms>',
      'ZooKeeper tickTime; sessions time out within [2, 20] ticks',
      integerOption('tick time', 1, 600_000),
      2000,
    )
    .option(
      '--snapshot-bytes <bytes>',
      'take a snapshot (and start a new transaction log) once the log holds this many bytes',
      integerOption('snapshot bytes', 1024, 2 ** 40),
      64 * 1024 * 1024,
    )
    .option(
      '--4lw-whitelist <words>',
      "four-letter words answered on the client port, comma-separated (ZooKeeper's 4lw.commands.whitelist; * = all)",
      DEFAULT_FOUR_LETTER_WORD_WHITELIST,
    )
    .action(
      async (options: {
        port: number;
        host: string;
        dataDir?: string;
        tickTime: number;
        snapshotBytes: number;
        '4lwWhitelist': string;
      }) => {
        const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
        let server;
        try {
          server = await startZooKeeperServer({
            host: options.host,
            port: options.port,
            dataDir,
            tickTime: options.tickTime,
            snapshotAfterBytes: options.snapshotBytes,
            fourLetterWordWhitelist: options['4lwWhitelist'],
          });
        } catch (error) {
          console.error(
            `sluice coordinator: cannot start: ${error instanceof Error ? error.message : String(error)}`,
          );
          process.exit(1);
        }
        console.log(
          `sluice coordinator listening on ${server.connectionString} (${dataDir === undefined ? 'in memory, no data dir' : `data dir ${dataDir}`})`,
        );
        const running = server;
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          void running.close().then(() => {
            console.log(`sluice coordinator stopped (${signal})`);
            process.exit(0);
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      },
    );
}
