import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { Producer, type ProducerRecord } from '../../producer/producer.js';
import {
  parseAcks,
  parseCompression,
  type CompressionOption,
  type RetryEvent,
} from '../../producer/producer-options.js';
import { KafkaProtocolError } from '../../protocol/errors.js';
import { ensureProduceTopic } from './produce-topic.js';
import {
  addClusterOptions,
  booleanProperty,
  clientOptionsFrom,
  integerOption,
  keyValueOption,
  requireClusterListening,
  runCommand,
  topicFrom,
  UserError,
  type ClusterOptions,
} from './client-options.js';

interface ProduceOptions extends ClusterOptions {
  topic?: string;
  property?: Record<string, string>;
  file?: string;
  keySeparator?: string;
  header?: Array<[string, string]>;
  parseHeaders?: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  partition?: number;
  acks: string;
  requestRequiredAcks?: string;
  compression: string;
  compressionCodec?: string | true;
  lingerMs: number;
  batchSize: number;
  idempotence: boolean;
  progress: boolean;
}

/**
 * `sluice produce <topic>`: one record per line from stdin or --file, like kafka-console-producer
 * (same ideas, same defaults where they exist: --key-separator ≈ parse.key + key.separator,
 * --parse-headers ≈ parse.headers with headers.delimiter / headers.separator / headers.key.separator).
 * Reading stops while the producer's buffer is full, so memory stays bounded for any input size.
 */
export function registerProduceCommand(program: Command): void {
  addClusterOptions(
    program
      .command('produce')
      .description('send lines from stdin or a file to a topic, one record per line')
      .argument('[topic]', 'topic to write to (must exist)')
      .option('--topic <name>', 'the topic, as kafka-console-producer takes it (instead of the argument)')
      .option('--file <path>', 'read records from this file instead of stdin')
      .option('--key-separator <text>', 'each line is KEY<text>VALUE (a line without it is an error)')
      .option('--header <key=value>', 'add this header to every record (repeatable)', headerOption)
      .option(
        '--parse-headers',
        'each line starts with headers: k1:v1,k2:v2<TAB>rest-of-line (see the --headers-* flags)',
      )
      .option('--headers-delimiter <text>', 'between the headers and the record', '\t')
      .option('--headers-separator <text>', 'between headers', ',')
      .option('--headers-key-separator <text>', 'between a header key and its value', ':')
      .option(
        '--partition <n>',
        'write every record to this partition',
        integerOption('partition', 0, 1_000_000),
      )
      .option('--acks <acks>', '0, 1 or all', acksOption, 'all')
      .option(
        '--request-required-acks <acks>',
        'kafka-console-producer spelling of --acks (-1 = all)',
        acksOption,
      )
      .option('--compression <codec>', 'none, gzip, snappy, lz4 or zstd', compressionOption, 'none')
      .option(
        '--compression-codec [codec]',
        'kafka-console-producer spelling of --compression (gzip when given without a codec)',
        compressionOption,
      )
      .option(
        '--linger-ms <ms>',
        'how long a batch waits for more records',
        integerOption('linger-ms', 0, 60_000),
        5,
      )
      .option(
        '--batch-size <bytes>',
        'bytes of records per partition batch',
        integerOption('batch-size', 1, 64 * 1024 * 1024),
        512 * 1024,
      )
      .option(
        '--property <key=value>',
        'kafka-console-producer reader property, repeatable: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator',
        keyValueOption,
      )
      .option('--no-idempotence', 'do not ask the broker to de-duplicate retried batches')
      .option('--no-progress', 'no progress bar, even on a terminal')
      .addHelpText(
        'after',
        [
          '',
          'Examples:',
          '  sluice produce orders < lines.txt',
          '  sluice produce --topic orders --property parse.key=true --property key.separator=:',
          '  sluice produce orders --request-required-acks -1 --compression-codec lz4 --file big.txt',
          'A missing topic is created when the brokers have auto.create.topics.enable=true (the default).',
        ].join('\n'),
      ),
  ).action((topic: string | undefined, options: ProduceOptions) =>
    runCommand('produce', () => produce(topicFrom(topic, options.topic, 'produce'), options)),
  );
}

function headerOption(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}

function acksOption(value: string): string {
  try {
    parseAcks(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function compressionOption(value: string): string {
  try {
    parseCompression(value as CompressionOption);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

/** Turns lines into records: key and header parsing per the flags. */
class LineParser {
  private readonly keySeparator: Buffer | undefined;
  private readonly staticHeaders: Array<{ key: string; value: string | null }> | undefined;
  lineNumber = 0;

  constructor(
    private readonly topic: string,
    private readonly options: ProduceOptions,
  ) {
    this.keySeparator = options.keySeparator === undefined ? undefined : Buffer.from(options.keySeparator);
    if (this.keySeparator?.length === 0) throw new UserError('--key-separator must not be empty');
    this.staticHeaders = options.header?.map(([key, value]) => ({ key, value }));
  }

  parse(line: Buffer): ProducerRecord {
    this.lineNumber++;
    let rest = line;
    let headers = this.staticHeaders;
    if (this.options.parseHeaders) {
      const text = line.toString('utf8');
      const at = text.indexOf(this.options.headersDelimiter);
      if (at < 0) throw new UserError(`line ${this.lineNumber}: no headers delimiter found`);
      headers = [...(this.staticHeaders ?? []), ...this.parseHeaderList(text.slice(0, at))];
      rest = Buffer.from(text.slice(at + this.options.headersDelimiter.length), 'utf8');
    }
    const record: ProducerRecord = { topic: this.topic, value: rest };
    if (this.keySeparator) {
      const at = rest.indexOf(this.keySeparator);
      if (at < 0) throw new UserError(`line ${this.lineNumber}: no key separator found`);
      record.key = rest.subarray(0, at);
      record.value = rest.subarray(at + this.keySeparator.length);
    }
    if (headers) record.headers = headers;
    if (this.options.partition !== undefined) record.partition = this.options.partition;
    return record;
  }

  private parseHeaderList(text: string): Array<{ key: string; value: string | null }> {
    if (text.length === 0) return [];
    return text.split(this.options.headersSeparator).map((entry) => {
      const at = entry.indexOf(this.options.headersKeySeparator);
      // Kafka's console producer: a header without a value separator has a null value.
      return at < 0
        ? { key: entry, value: null }
        : { key: entry.slice(0, at), value: entry.slice(at + this.options.headersKeySeparator.length) };
    });
  }
}

/** Ack latencies in ms, kept in a growable typed array (no object per record). */
class LatencyRecorder {
  private values = new Float64Array(1024);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.count++] = ms;
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    const sorted = this.values.subarray(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.ceil((p / 100) * this.count) - 1)]!;
  }
}

/**
 * Folds kafka-console-producer's `--property` keys into the flags. As there, key.separator only
 * matters with parse.key=true, and defaults to a tab.
 */
function applyProperties(options: ProduceOptions): void {
  const properties = { ...options.property };
  const known = [
    'parse.key',
    'key.separator',
    'parse.headers',
    'headers.delimiter',
    'headers.separator',
    'headers.key.separator',
  ];
  const unknown = Object.keys(properties).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw new UserError(`unknown --property ${unknown} (known: ${known.join(', ')})`);
  if (properties['parse.key'] !== undefined && booleanProperty('parse.key', properties['parse.key']))
    options.keySeparator ??= properties['key.separator'] ?? '\t';
  if (properties['parse.headers'] !== undefined)
    options.parseHeaders = booleanProperty('parse.headers', properties['parse.headers']);
  if (properties['headers.delimiter'] !== undefined)
    options.headersDelimiter = properties['headers.delimiter'];
  if (properties['headers.separator'] !== undefined)
    options.headersSeparator = properties['headers.separator'];
  if (properties['headers.key.separator'] !== undefined)
    options.headersKeySeparator = properties['headers.key.separator'];
}

/** Opens --file before anything connects, so a wrong path is one line, not a stream error later. */
async function openInputFile(path: string): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UserError(`cannot read --file ${path}: ${reason}`);
  }
  const stats = await file.stat();
  if (!stats.isFile() && !stats.isFIFO() && !stats.isCharacterDevice()) {
    await file.close();
    throw new UserError(`cannot read --file ${path}: ${stats.isDirectory() ? 'a directory' : 'not a file'}`);
  }
  return { file, size: stats.isFile() ? stats.size : 0 };
}

/**
 * Says why sends are slow at the first retry (a broker's NOT_ENOUGH_REPLICAS with its ISR size and
 * min.insync.replicas), instead of silence until the delivery timeout; repeats only a changed reason.
 */
function retryReporter(): (event: RetryEvent) => void {
  let lastReason = '';
  return ({ topic, partition, attempt, error }) => {
    const code = error instanceof KafkaProtocolError ? ` (${error.name}, error ${error.code})` : '';
    const reason = `${error.message}${code}`;
    if (reason === lastReason) return;
    lastReason = reason;
    process.stderr.write(`sluice produce: retrying ${topic}-${partition} (attempt ${attempt}): ${reason}\n`);
  };
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

async function produce(topic: string, options: ProduceOptions): Promise<void> {
  applyProperties(options);
  if (options.requestRequiredAcks !== undefined) options.acks = options.requestRequiredAcks;
  if (options.compressionCodec !== undefined)
    options.compression = options.compressionCodec === true ? 'gzip' : options.compressionCodec;
  const parser = new LineParser(topic, options);
  const cluster = clientOptionsFrom(options);
  await requireClusterListening(options);
  const inputFile = options.file === undefined ? undefined : await openInputFile(options.file);
  const producer = new Producer({
    ...(cluster.bootstrapServers !== undefined
      ? { bootstrapServers: cluster.bootstrapServers }
      : { zookeeper: cluster.zookeeper! }),
    clientId: 'sluice-produce',
    acks: parseAcks(options.acks),
    compression: parseCompression(options.compression as CompressionOption),
    lingerMs: options.lingerMs,
    batchSize: options.batchSize,
    idempotent: options.idempotence && parseAcks(options.acks) !== 0,
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 15_000,
    deliveryTimeoutMs: 60_000,
    onRetry: retryReporter(),
  });
  let failure: Error | undefined;
  try {
    // A missing topic is created if the brokers' auto.create.topics.enable says so (Kafka's producer).
    const created = await ensureProduceTopic(cluster, topic);
    if (created !== null) process.stderr.write(`sluice produce: ${created}\n`);
    // Fails fast, in one line, when the cluster is unreachable or the topic does not exist.
    const route = await producer.partitionsFor(topic);
    if (options.partition !== undefined && options.partition >= route.partitionCount)
      throw new UserError(
        `topic ${topic} has ${route.partitionCount} partition(s); --partition ${options.partition} does not exist`,
      );
    await producer.connect();

    const input =
      inputFile === undefined ? process.stdin : inputFile.file.createReadStream({ highWaterMark: 1 << 20 });
    const totalBytes = inputFile?.size ?? 0;
    const bar =
      totalBytes > 0 && options.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              format: 'producing |{bar}| {percentage}% | {records} records | {rate} records/s',
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    bar?.start(totalBytes, 0, { records: 0, rate: 0 });

    const latencies = new LatencyRecorder();
    let records = 0;
    let bytes = 0;
    let acked = 0;
    let readBytes = 0;
    /** partition → offset of the last acknowledged record. */
    const lastOffsets = new Map<number, bigint>();
    const started = performance.now();
    const sendLine = (line: Buffer): void => {
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      const record = parser.parse(line);
      const sentAt = performance.now();
      records++;
      bytes += line.length;
      producer.produce(record, (error, metadata) => {
        if (error) failure ??= error;
        else {
          acked++;
          latencies.add(performance.now() - sentAt);
          const last = lastOffsets.get(metadata!.partition);
          if (last === undefined || metadata!.offset > last)
            lastOffsets.set(metadata!.partition, metadata!.offset);
        }
      });
    };

    let carry: Buffer | undefined;
    let lastBarUpdate = 0;
    // Ctrl-C (or SIGTERM) ends the input like end-of-file: what was read is still sent and
    // acknowledged, and the summary printed. A second Ctrl-C kills at once.
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      input.destroy();
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        if (failure || interrupted) break;
        readBytes += chunk.length;
        let data = carry ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        for (;;) {
          const end = data.indexOf(0x0a, start);
          if (end < 0) break;
          sendLine(data.subarray(start, end));
          start = end + 1;
        }
        carry = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
        data = Buffer.alloc(0);
        if (bar && performance.now() - lastBarUpdate > 100) {
          lastBarUpdate = performance.now();
          const rate = Math.round(records / ((lastBarUpdate - started) / 1000));
          bar.update(readBytes, { records, rate });
        }
        // Back-pressure: stop reading while the producer's buffer is full.
        if (!producer.hasRoom) await producer.whenRoom();
      }
    } catch (error) {
      // Destroying the input mid-iteration ends it with a premature-close error.
      if (!interrupted) throw error;
    }
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
    // An unterminated last line is a record at end-of-file, but not when cut off by Ctrl-C.
    if (carry && carry.length > 0 && !failure && !interrupted) sendLine(carry);
    await producer.flush();
    const seconds = (performance.now() - started) / 1000;
    if (bar) {
      // Interrupted: the bar stops where the input did, not at 100%.
      bar.update(interrupted ? readBytes : totalBytes, { records, rate: Math.round(records / seconds) });
      bar.stop();
    }
    if (failure) throw failure;
    const summary = {
      topic,
      interrupted,
      records,
      acknowledged: acked,
      bytes,
      seconds: Number(seconds.toFixed(3)),
      mbPerSec: Number((bytes / 1024 / 1024 / seconds).toFixed(2)),
      recordsPerSec: Math.round(records / seconds),
      ackLatencyMs: {
        p50: Number(latencies.percentile(50).toFixed(2)),
        p99: Number(latencies.percentile(99).toFixed(2)),
      },
      lastOffsets: Object.fromEntries([...lastOffsets].map(([p, o]) => [p, Number(o)])),
    };
    const offsets = [...lastOffsets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([p, o]) => `${p}:${o}`)
      .join(' ');
    if (options.output === 'json') console.log(JSON.stringify(summary));
    console.error(
      `${plural(records, 'record')} (${(bytes / 1024 / 1024).toFixed(1)} MB) to ${topic} in ${seconds.toFixed(2)} s: ` +
        `${summary.mbPerSec} MB/s, ${summary.recordsPerSec.toLocaleString('en-US')} records/s; ` +
        (options.acks === '0'
          ? 'acks=0 (no acknowledgements)'
          : `ack latency p50 ${summary.ackLatencyMs.p50} ms, p99 ${summary.ackLatencyMs.p99} ms`) +
        `; last offsets ${offsets === '' ? 'none' : offsets}` +
        (interrupted ? ' (input ended by Ctrl-C)' : ''),
    );
  } finally {
    await producer.close().catch(() => undefined);
    await inputFile?.file.close().catch(() => undefined);
  }
}
