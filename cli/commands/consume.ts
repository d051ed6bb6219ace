import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, type Command } from 'commander';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { Consumer, type ConsumedRecord } from '../../consumer/consumer.js';
import { PartitionReader, type StartOffset } from '../../consumer/partition-reader.js';
import { DeliveredOutput } from './delivered-output.js';
import { ErrorCode, KafkaProtocolError } from '../../protocol/errors.js';
import { topicPartitionKey } from '../../protocol/topic-partition.js';
import {
  addZooKeeperOnlyOptions,
  DEFAULT_ZOOKEEPER,
  booleanProperty,
  integerOption,
  keyValueOption,
  refuseBootstrapServer,
  requireZooKeeperListening,
  runCommand,
  topicFrom,
  UserError,
} from './client-options.js';

interface ConsumeOptions {
  topic?: string;
  zookeeper?: string;
  bootstrapServer?: string;
  group?: string;
  fromBeginning?: boolean;
  partition?: number;
  offset?: StartOffset;
  formatter?: 'text' | 'json';
  maxMessages?: number;
  timeoutMs?: number;
  printKey?: boolean;
  printHeaders?: boolean;
  printOffset?: boolean;
  printPartition?: boolean;
  printTimestamp?: boolean;
  property?: Record<string, string>;
  keySeparator: string;
  format: 'text' | 'json';
  assignor: 'range' | 'roundrobin';
  sessionTimeoutMs?: number;
  commitIntervalMs: number;
  verbose?: boolean;
}

function formatOption(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('must be text or json');
  return value;
}

/** Kafka's DefaultMessageFormatter is the text format; `json` is sluice's JSON lines. */
function formatterOption(value: string): 'text' | 'json' {
  if (value === 'json') return 'json';
  if (value === 'text' || value === 'kafka.tools.DefaultMessageFormatter') return 'text';
  throw new InvalidArgumentError('must be json or text (kafka.tools.DefaultMessageFormatter)');
}

function offsetOption(value: string): StartOffset {
  if (value === 'earliest' || value === 'latest') return value;
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError('must be a non-negative offset, earliest or latest');
  return BigInt(value);
}

function assignorOption(value: string): 'range' | 'roundrobin' {
  if (value !== 'range' && value !== 'roundrobin')
    throw new InvalidArgumentError('must be range or roundrobin');
  return value;
}

function text(buffer: Buffer | null): string {
  return buffer === null ? 'null' : buffer.toString('utf8');
}

/** One output line, Kafka console-consumer style (text) or one JSON object per line. */
function formatRecord(record: ConsumedRecord, options: ConsumeOptions): string {
  if (options.format === 'json') {
    return JSON.stringify({
      topic: record.topic,
      partition: record.partition,
      offset: Number(record.offset),
      timestamp: Number(record.timestamp),
      key: record.key === null ? null : record.key.toString('utf8'),
      value: record.value === null ? null : record.value.toString('utf8'),
      headers: Object.fromEntries(record.headers.map((h) => [h.key, text(h.value)])),
    });
  }
  let line = '';
  if (options.printTimestamp) line += `CreateTime:${record.timestamp}\t`;
  if (options.printPartition || options.printOffset) line += `Partition:${record.partition}\t`;
  if (options.printOffset) line += `Offset:${record.offset}\t`;
  if (options.printHeaders)
    line += `${record.headers.length === 0 ? 'NO_HEADERS' : record.headers.map((h) => `${h.key}:${text(h.value)}`).join(',')}\t`;
  if (options.printKey) line += `${text(record.key)}${options.keySeparator}`;
  return line + text(record.value);
}

/** kafka-console-consumer's `--property` keys that have a sluice counterpart. */
const CONSOLE_CONSUMER_PROPERTIES: Record<string, (options: ConsumeOptions, value: string) => void> = {
  'print.key': (o, v) => (o.printKey = booleanProperty('print.key', v)),
  'print.headers': (o, v) => (o.printHeaders = booleanProperty('print.headers', v)),
  'print.offset': (o, v) => (o.printOffset = booleanProperty('print.offset', v)),
  'print.partition': (o, v) => (o.printPartition = booleanProperty('print.partition', v)),
  'print.timestamp': (o, v) => (o.printTimestamp = booleanProperty('print.timestamp', v)),
  'key.separator': (o, v) => (o.keySeparator = v),
};

/** Folds `--property k=v` (Kafka's names) into the flags; an unknown key is a user error. */
function applyProperties(options: ConsumeOptions): void {
  for (const [key, value] of Object.entries(options.property ?? {})) {
    const apply = CONSOLE_CONSUMER_PROPERTIES[key];
    if (!apply)
      throw new UserError(
        `unknown --property ${key} (known: ${Object.keys(CONSOLE_CONSUMER_PROPERTIES).join(', ')})`,
      );
    apply(options, value);
  }
}

function diagnostic(message: string): void {
  process.stderr.write(`sluice consume: ${message}\n`);
}

/** `sluice consume <topic>`: a ZooKeeper-group consumer printing records to stdout. */
export function registerConsumeCommand(program: Command): void {
  addZooKeeperOnlyOptions(
    program
      .command('consume')
      .description('consume a topic as a member of a ZooKeeper consumer group, printing records to stdout')
      .argument('[topic]', 'topic to consume (must exist)')
      .option('--topic <name>', 'the topic, as kafka-console-consumer takes it (instead of the argument)'),
    'consumer groups',
  )
    .option('--group <id>', 'consumer group (default: a throwaway console-consumer-<n>, deleted on exit)')
    .option('--from-beginning', 'start at the earliest offset where the group has no committed offset')
    .option(
      '--partition <p>',
      'read only this partition, without a group (nothing committed)',
      integerOption('partition', 0, 1_000_000),
    )
    .option('--offset <n|earliest|latest>', 'with --partition: where to start (default latest)', offsetOption)
    .option('--max-messages <n>', 'exit after this many records', integerOption('max messages', 1, 2 ** 31))
    .option(
      '--timeout-ms <ms>',
      'exit when no record arrives for this long',
      integerOption('timeout', 1, 2 ** 31),
    )
    .option('--print-key', 'print the key before the value')
    .option('--print-headers', 'print record headers')
    .option('--print-offset', 'print partition and offset')
    .option('--print-partition', 'print the partition')
    .option('--print-timestamp', 'print the record timestamp (CreateTime:<epoch ms>)')
    .option(
      '--property <key=value>',
      'kafka-console-consumer formatter property, repeatable: print.key, print.headers, print.offset, print.partition, print.timestamp, key.separator',
      keyValueOption,
    )
    .option('--key-separator <s>', 'between key and value (text format)', '\t')
    .option('--format <format>', 'text or json (one object per line)', formatOption, 'text')
    .option(
      '--formatter <name>',
      'kafka-console-consumer spelling of --format: json or text',
      formatterOption,
    )
    .option('--assignor <name>', 'range or roundrobin', assignorOption, 'range')
    .option(
      '--session-timeout-ms <ms>',
      'ZooKeeper session timeout',
      integerOption('session timeout', 1_000, 600_000),
    )
    .option(
      '--commit-interval-ms <ms>',
      'auto-commit interval',
      integerOption('commit interval', 10, 3_600_000),
      1_000,
    )
    .option('--verbose', 'log ownership changes and deliveries (with epoch ms) to stderr')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  sluice consume orders --group billing --from-beginning',
        '  sluice consume orders --group billing | head -3      # commits the 3 records head took',
        '  sluice consume orders --partition 0 --offset 42 --max-messages 5',
        '  sluice consume orders --from-beginning --property print.key=true --property key.separator=:',
        '  sluice consume orders --from-beginning --formatter json --timeout-ms 5000',
      ].join('\n'),
    )
    .action((topic: string | undefined, options: ConsumeOptions) =>
      runCommand('consume', () => consume(topicFrom(topic, options.topic, 'consume'), options), {
        // A long-running consumer's warnings (commits failing, a broker gone) are worth seeing.
        quietLevel: 'warn',
        // `sluice consume … | head`: the write that met the closed pipe stops the consumer, after
        // taking back what the reader left (see DeliveredOutput); then leave the group, exit 0.
        onOutputClosed: () => (stopConsuming ? undefined : process.exit(0)),
      }),
    );
}

/** Stops the running consumer (set once it exists): Ctrl-C, --max-messages, --timeout-ms, closed stdout. */
let stopConsuming: (() => void) | undefined;

/** How long Ctrl-C waits for a join in progress (to leave cleanly) before exiting anyway. */
const INTERRUPTED_JOIN_GRACE_MS = 2_000;

/**
 * Fails in one line when the topic does not exist: the consumer would otherwise wait for it forever,
 * which reads as a hang (kafka-console-consumer only logs warnings there).
 */
async function requireTopic(zookeeper: string, topic: string): Promise<void> {
  await requireZooKeeperListening(zookeeper);
  const session = await ZooKeeperSession.connect(zookeeper, { connectTimeoutMs: 10_000 });
  try {
    if ((await new ClusterState(session).readTopicAssignment(topic)) === null)
      throw new UserError(`topic ${topic} does not exist (sluice topics create --topic ${topic} creates it)`);
  } finally {
    await session.close();
  }
}

async function consume(topic: string, options: ConsumeOptions): Promise<void> {
  refuseBootstrapServer(options, 'consumer groups');
  applyProperties(options);
  if (options.formatter !== undefined) options.format = options.formatter;
  const zookeeper = options.zookeeper ?? DEFAULT_ZOOKEEPER;
  if (options.offset !== undefined && options.partition === undefined)
    throw new UserError('--offset needs --partition (a group starts at its committed offsets)');
  if (options.partition !== undefined) {
    if (options.group !== undefined)
      throw new UserError('give --group or --partition, not both (--partition reads without a group)');
    await requireTopic(zookeeper, topic);
    return consumePartition(zookeeper, topic, options.partition, options);
  }
  // Ctrl-C while ZooKeeper is still being reached: nothing to print, commit or clean up yet.
  const interruptBeforeJoining = () => process.exit(130);
  process.once('SIGINT', interruptBeforeJoining);
  process.once('SIGTERM', interruptBeforeJoining);
  await requireTopic(zookeeper, topic);
  const throwaway = options.group === undefined;
  const groupId = options.group ?? `console-consumer-${randomInt(100_000)}`;
  const consumer = new Consumer({
    zookeeper,
    groupId,
    topics: [topic],
    autoOffsetReset: options.fromBeginning ? 'earliest' : 'latest',
    autoCommitIntervalMs: options.commitIntervalMs,
    assignor: options.assignor,
    sessionTimeoutMs: options.sessionTimeoutMs,
    clientId: 'sluice-console-consumer',
  });
  const verbose = options.verbose ? (message: string) => diagnostic(`${Date.now()} ${message}`) : undefined;
  if (verbose) {
    consumer.on('assigned', (tp) => verbose(`assigned ${topicPartitionKey(tp)}`));
    consumer.on('revoked', (tps) => verbose(`revoked ${tps.map(topicPartitionKey).join(',')}`));
    consumer.on('lost', (tps) => verbose(`lost ${tps.map(topicPartitionKey).join(',')}`));
    consumer.on('rebalance', (event) =>
      verbose(
        `generation ${event.generation} owns [${event.owned.map(topicPartitionKey).join(',')}] after ${event.durationMs} ms`,
      ),
    );
  }

  const output = new DeliveredOutput();
  /** partition → offset of the last record the reader took. */
  const lastOffsets = new Map<number, bigint>();
  const started = performance.now();
  let lastRecordAt = Date.now();
  let joined = false;
  let stopping = false;
  let timeoutCheck: NodeJS.Timeout | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    output.cancel();
    // A join still in progress (ZooKeeper slow or unreachable) gets a moment to finish and leave
    // cleanly; Ctrl-C must not wait for a connect timeout.
    if (!joined) setTimeout(() => process.exit(130), INTERRUPTED_JOIN_GRACE_MS).unref();
    void consumer.close();
  };
  stopConsuming = stop;
  process.removeListener('SIGINT', interruptBeforeJoining);
  process.removeListener('SIGTERM', interruptBeforeJoining);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    try {
      await consumer.connect();
    } catch (error) {
      await consumer.close().catch(() => undefined);
      throw error;
    }
    joined = true;
    verbose?.(`joined group ${groupId} as ${consumer.consumerId}`);
    lastRecordAt = Date.now();
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      timeoutCheck = setInterval(
        () => {
          if (Date.now() - lastRecordAt >= timeoutMs) {
            diagnostic(`no record for ${timeoutMs} ms; stopping`);
            stop();
          }
        },
        Math.min(timeoutMs, 100),
      );
    }
    await consumer.run({
      eachBatch: async ({ records, resolveOffset, isCurrent }) => {
        let last: ConsumedRecord | undefined;
        for (const record of records) {
          if (stopping || !isCurrent()) break;
          if (options.maxMessages !== undefined && output.records >= options.maxMessages) break;
          // One record per write, so a closed pipe leaves whole records behind (see DeliveredOutput).
          if (!(await output.write(formatRecord(record, options) + '\n', record))) break;
          last = record;
          lastOffsets.set(record.partition, record.offset);
        }
        resolveOffset(last === undefined ? records[0]!.offset - 1n : last.offset);
        if (last !== undefined) {
          lastRecordAt = Date.now();
          verbose?.(`delivered ${last.topic}-${last.partition} ${records[0]!.offset}..${last.offset}`);
        }
        if (output.closed) {
          // `| head -3`: the group resumes at the first record the reader did not take.
          for (const resume of output.takeBackUnread()) {
            // A partition handed away meanwhile was committed at its revocation; its new owner decides.
            if (!consumer.assignment().some((tp) => topicPartitionKey(tp) === topicPartitionKey(resume)))
              continue;
            consumer.seek(resume);
            if (resume.offset === 0n) lastOffsets.delete(resume.partition);
            else lastOffsets.set(resume.partition, resume.offset - 1n);
          }
          stop();
        } else if (options.maxMessages !== undefined && output.records >= options.maxMessages) stop();
      },
    });
  } finally {
    clearInterval(timeoutCheck);
    if (joined) {
      stopping = true;
      await consumer.close();
      diagnostic(`processed a total of ${output.records} messages`);
      diagnostic(summaryLine(output, lastOffsets, performance.now() - started));
      if (throwaway) await deleteThrowawayGroup(zookeeper, groupId);
    }
  }
}

/** `consume --partition P [--offset N]`: one partition, no group, nothing committed. */
async function consumePartition(
  zookeeper: string,
  topic: string,
  partition: number,
  options: ConsumeOptions,
): Promise<void> {
  const start = options.offset ?? (options.fromBeginning ? 'earliest' : 'latest');
  const reader = await PartitionReader.open({ zookeeper, tp: { topic, partition }, start }).catch(
    (error: unknown) => {
      if (error instanceof KafkaProtocolError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        throw new UserError(`topic ${topic} has no partition ${partition}`);
      throw error;
    },
  );
  const output = new DeliveredOutput();
  const lastOffsets = new Map<number, bigint>();
  const started = performance.now();
  let stopping = false;
  const stop = () => {
    stopping = true;
    output.cancel();
    reader.interrupt();
  };
  stopConsuming = stop;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let lastRecordAt = Date.now();
  try {
    while (!stopping && !output.closed) {
      const records = await reader.next(100);
      for (const record of records) {
        if (stopping || (options.maxMessages !== undefined && output.records >= options.maxMessages)) break;
        if (!(await output.write(formatRecord(record, options) + '\n', record))) break;
        lastOffsets.set(record.partition, record.offset);
      }
      if (records.length > 0) lastRecordAt = Date.now();
      if (output.closed) output.takeBackUnread();
      if (options.maxMessages !== undefined && output.records >= options.maxMessages) break;
      if (options.timeoutMs !== undefined && Date.now() - lastRecordAt >= options.timeoutMs) {
        diagnostic(`no record for ${options.timeoutMs} ms; stopping`);
        break;
      }
    }
  } finally {
    await reader.close();
    diagnostic(`processed a total of ${output.records} messages`);
    diagnostic(summaryLine(output, lastOffsets, performance.now() - started));
  }
}

/** Records, bytes, rate and the last offset written per partition: what a stopped consumer did. */
function summaryLine(output: DeliveredOutput, lastOffsets: Map<number, bigint>, ms: number): string {
  const seconds = ms / 1000;
  const offsets = [...lastOffsets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset}`)
    .join(' ');
  return (
    `${output.records} records, ${output.bytes} bytes in ${seconds.toFixed(2)} s ` +
    `(${Math.round(output.records / Math.max(seconds, 0.001))} records/s); ` +
    `last offsets ${offsets === '' ? 'none' : offsets}`
  );
}

/** Best effort: a failure here is reported but never hides the command's own outcome. */
async function deleteThrowawayGroup(zookeeper: string, groupId: string): Promise<void> {
  let session: ZooKeeperSession | undefined;
  try {
    session = await ZooKeeperSession.connect(zookeeper, { connectTimeoutMs: 5_000 });
    await new ClusterState(session).deleteGroup(groupId);
  } catch (error) {
    diagnostic(`could not delete throwaway group ${groupId}: ${(error as Error).message}`);
  } finally {
    await session?.close();
  }
}
