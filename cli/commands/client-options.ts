import { connect } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import type { KafkaClientOptions } from '../../client/kafka-client.js';
import { configureLogging, type LogLevel } from '../../log/logger.js';

/**
 * The options every client command shares: how to find the cluster, and the output
 * format. ZooKeeper at 127.0.0.1:2181 is the default, as Kafka's ZooKeeper-era tools had it.
 */
export interface ClusterOptions {
  bootstrapServer?: string;
  zookeeper?: string;
  output: 'text' | 'json';
}

export const DEFAULT_ZOOKEEPER = '127.0.0.1:2181';

/** How long a client command waits for one response (ApiVersions, Metadata, ListOffsets, …). */
export const CLI_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Checks a ZooKeeper connection string (`host[:port][,host[:port]…][/chroot]`) before the ZooKeeper
 * client sees it: that client throws from a socket callback on a bad port, killing the process with a
 * stack trace.
 */
export function zookeeperOption(value: string): string {
  const slash = value.indexOf('/');
  const hosts = slash < 0 ? value : value.slice(0, slash);
  const chroot = slash < 0 ? '' : value.slice(slash);
  const bad = (why: string) => new InvalidArgumentError(`${why}; expected host:port[,host:port…][/chroot]`);
  if (hosts.length === 0) throw bad('no host');
  for (const entry of hosts.split(',')) {
    const match = /^([^:\s]+)(?::(\d+))?$/.exec(entry);
    if (!match) throw bad(`${JSON.stringify(entry)} is not host:port`);
    const port = match[2] === undefined ? 2181 : Number(match[2]);
    if (port < 1 || port > 65_535) throw bad(`port ${match[2]} is out of range`);
  }
  if (chroot !== '' && (chroot === '/' || chroot.endsWith('/') || chroot.includes('//')))
    throw bad(`chroot ${JSON.stringify(chroot)} is not a ZooKeeper path`);
  return value;
}

/** How long a client command gives ZooKeeper to accept a connection before saying it cannot. */
export const ZOOKEEPER_PROBE_MS = 2_000;

/**
 * Fails in about 2 s, naming the address, when no ZooKeeper server of the connection string accepts a
 * TCP connection: the ZooKeeper client itself retries silently until its 10 s session timeout.
 */
export async function requireZooKeeperListening(connectionString: string): Promise<void> {
  const slash = connectionString.indexOf('/');
  const hosts = (slash < 0 ? connectionString : connectionString.slice(0, slash)).split(',');
  const failures = await Promise.all(hosts.map((entry) => probe(entry)));
  if (failures.some((failure) => failure === null)) return;
  throw new UserError(
    `cannot reach ZooKeeper: ${failures.join('; ')} (is it running? sluice dev prints its address)`,
  );
}

/** null when host:port accepts a connection, else why not. */
function probe(entry: string): Promise<string | null> {
  const colon = entry.lastIndexOf(':');
  const host = colon < 0 ? entry : entry.slice(0, colon);
  const port = colon < 0 ? 2181 : Number(entry.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done(`${host}:${port} did not answer within ${ZOOKEEPER_PROBE_MS} ms`),
      ZOOKEEPER_PROBE_MS,
    );
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code === 'ECONNREFUSED'
          ? `${host}:${port} refused the connection`
          : `${host}:${port}: ${error.code ?? error.message}`,
      ),
    );
  });
}

/** The ZooKeeper probe for commands that may use either kind of cluster address. */
export async function requireClusterListening(options: ClusterOptions): Promise<void> {
  if (options.bootstrapServer === undefined)
    await requireZooKeeperListening(options.zookeeper ?? DEFAULT_ZOOKEEPER);
}

export function addClusterOptions(command: Command): Command {
  return command
    .option('--bootstrap-server <host:port[,host:port…]>', 'find the cluster through these brokers')
    .option(
      '--zookeeper <host:port[/chroot]>',
      `find brokers in ZooKeeper (default ${DEFAULT_ZOOKEEPER})`,
      zookeeperOption,
    )
    .option('--output <format>', 'text or json', outputFormat, 'text');
}

function outputFormat(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('must be text or json');
  return value;
}

export function clientOptionsFrom(options: ClusterOptions): KafkaClientOptions {
  if (options.bootstrapServer !== undefined && options.zookeeper !== undefined)
    throw new UserError('give --bootstrap-server or --zookeeper, not both');
  // A broker that accepts connections but does not answer fails the command in seconds, not minutes
  // (CreateTopics/DeleteTopics carry their own, longer, timeout).
  const common = {
    clientId: 'sluice-cli',
    connectTimeoutMs: 5_000,
    requestTimeoutMs: CLI_REQUEST_TIMEOUT_MS,
  };
  if (options.bootstrapServer !== undefined)
    return { ...common, bootstrapServers: options.bootstrapServer.split(',').filter((s) => s.length > 0) };
  return { ...common, zookeeper: options.zookeeper ?? DEFAULT_ZOOKEEPER };
}

/**
 * Commands whose state lives only in ZooKeeper (consumer groups) still accept `--bootstrap-server`, the
 * flag Kafka users reach for first, so that they get a pointer to `--zookeeper` instead of "unknown option".
 */
export function addZooKeeperOnlyOptions(command: Command, what: string): Command {
  return command
    .option(
      '--zookeeper <host:port[/chroot]>',
      `where ${what} live (default ${DEFAULT_ZOOKEEPER})`,
      zookeeperOption,
    )
    .option('--bootstrap-server <host:port>', 'not supported here: give --zookeeper');
}

export function refuseBootstrapServer(options: { bootstrapServer?: string }, what: string): void {
  if (options.bootstrapServer !== undefined)
    throw new UserError(
      `${what} live in ZooKeeper, not in the brokers: give --zookeeper host:port (sluice dev prints it) instead of --bootstrap-server`,
    );
}

/**
 * The topic of `produce`/`consume`: the argument, or `--topic` as kafka-console-producer/-consumer
 * take it. Either one, or both when they agree.
 */
export function topicFrom(argument: string | undefined, option: string | undefined, command: string): string {
  return argumentOrOption(argument, option, 'topic', command);
}

/** Likewise the group of `groups describe|reset-offsets|delete`, or `--group` as kafka-consumer-groups takes it. */
export function groupFrom(argument: string | undefined, option: string | undefined, command: string): string {
  return argumentOrOption(argument, option, 'group', command);
}

function argumentOrOption(
  argument: string | undefined,
  option: string | undefined,
  what: 'topic' | 'group',
  command: string,
): string {
  if (argument !== undefined && option !== undefined && argument !== option)
    throw new UserError(`two ${what}s given (${argument} and --${what} ${option}): give one`);
  const value = argument ?? option;
  if (value === undefined || value.length === 0)
    throw new UserError(`no ${what} given: sluice ${command} <${what}> (or --${what} <${what}>)`);
  return value;
}

/** A mistake the user can fix: printed as one line, without a stack trace. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`${name} must be an integer between ${min} and ${max}`);
    return parsed;
  };
}

/** A Kafka tool property's boolean ("true"/"false", any case), as `--property print.key=true` gives it. */
export function booleanProperty(key: string, value: string): boolean {
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new UserError(`--property ${key} must be true or false, not ${JSON.stringify(value)}`);
}

/** Collects repeatable `--config k=v` into a record. */
export function keyValueOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/**
 * Runs a command body: any error becomes one line on stderr and exit code 1. The process exits
 * explicitly because a ZooKeeper client can keep timers alive after close.
 *
 * The library's logs would add JSON lines around that one line (a retried request, a slow broker), so a
 * client command shows only records at `quietLevel` and above, as readable lines, unless
 * SLUICE_LOG_LEVEL / SLUICE_LOG_FORMAT ask for something else.
 */
export async function runCommand(
  name: string,
  body: () => Promise<void>,
  {
    quietLevel = 'error',
    onOutputClosed,
  }: {
    quietLevel?: LogLevel;
    /** Stdout was closed by its reader (`| head`); default: exit 0 at once, the reader has what it wants. */
    onOutputClosed?: () => void;
  } = {},
): Promise<never> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      console.error(`sluice ${name}: cannot write output: ${error.message}`);
      process.exit(1);
    }
    if (onOutputClosed) onOutputClosed();
    else process.exit(0);
  });
  configureLogging({
    ...(process.env.SLUICE_LOG_LEVEL === undefined ? { level: quietLevel } : {}),
    ...(process.env.SLUICE_LOG_FORMAT === undefined ? { format: 'pretty' } : {}),
  });
  let code = 0;
  try {
    await body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    console.error(`sluice ${name}: ${message}${message.includes(cause.slice(2)) ? '' : cause}`);
    code = 1;
  }
  // Let stdout drain before exiting (large --output json documents).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
