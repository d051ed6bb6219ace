/**
 * The embedded ZooKeeper-wire-compatible server: single node, what node-zookeeper-client
 * and zkCli.sh use, durable when given a data directory.
 */
import { DEFAULT_FOUR_LETTER_WORD_WHITELIST, parseFourLetterWordWhitelist } from './four-letter-words.js';
import { ZooKeeperServer } from './zookeeper-server.js';

export interface ZooKeeperServerOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 = any free port. Default 2181. */
  port?: number;
  /** Where the transaction log and snapshots live; undefined = in memory, nothing survives (tests, bench). */
  dataDir?: string;
  /**
   * The clients of the sessions restored from dataDir are known to be gone (`sluice dev` checked that
   * the previous run's processes ended): their sessions and ephemeral nodes end at start instead of
   * after a session timeout.
   */
  restoredSessionsEnded?: boolean;
  /** ZooKeeper's tickTime in ms; default 2000. Session timeouts are negotiated within [2, 20] ticks. */
  tickTime?: number;
  minSessionTimeout?: number;
  maxSessionTimeout?: number;
  /** Largest accepted frame (jute.maxbuffer); default 0xfffff like ZooKeeper. Larger ⇒ connection closed. */
  maxFrameSize?: number;
  /** Snapshot once the current transaction log holds this many bytes; default 64 MiB. */
  snapshotAfterBytes?: number;
  /**
   * ZooKeeper's `4lw.commands.whitelist`: comma-separated four-letter words the server answers, `*` for
   * all. Default `srvr,ruok,mntr`; any other word is answered "not in the whitelist".
   */
  fourLetterWordWhitelist?: string;
}

export interface EmbeddedZooKeeper {
  readonly host: string;
  readonly port: number;
  /** "host:port", ready for a ZooKeeper client. */
  readonly connectionString: string;
  close(): Promise<void>;
}

export async function startZooKeeperServer(options: ZooKeeperServerOptions = {}): Promise<EmbeddedZooKeeper> {
  const host = options.host ?? '127.0.0.1';
  const tickTime = options.tickTime ?? 2000;
  const server = new ZooKeeperServer({
    host,
    port: options.port ?? 2181,
    dataDir: options.dataDir,
    restoredSessionsEnded: options.restoredSessionsEnded,
    tickTime,
    minSessionTimeout: options.minSessionTimeout ?? 2 * tickTime,
    maxSessionTimeout: options.maxSessionTimeout ?? 20 * tickTime,
    maxFrameSize: options.maxFrameSize ?? 0xfffff,
    snapshotAfterBytes: options.snapshotAfterBytes,
    fourLetterWords: parseFourLetterWordWhitelist(
      options.fourLetterWordWhitelist ?? DEFAULT_FOUR_LETTER_WORD_WHITELIST,
    ),
  });
  await server.start();
  const port = server.port;
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    connectionString: `${host}:${port}`,
    close: () => (closing ??= server.close()),
  };
}

export { DEFAULT_FOUR_LETTER_WORD_WHITELIST } from './four-letter-words.js';
