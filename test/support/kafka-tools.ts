import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot, runToEnd } from './processes.js';

/**
 * Apache Kafka's own command-line tools and Java client as judges. The jars come from Maven
 * (test/compat/kafka-tools/pom.xml, resolved by fetch-deps.sh into ~/.m2); the tools run inside one
 * long-lived JVM (ToolDriver.java) because a JVM start costs seconds on a loaded machine.
 */
export const kafkaToolsDir = join(projectRoot, 'test', 'compat', 'kafka-tools');

/** The Kafka version the pom pins (kafka_2.13, kafka-tools and kafka-clients share it). */
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
  readFileSync(join(kafkaToolsDir, 'pom.xml'), 'utf8'),
)![1]!;

export const cacheDir = process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice');

/** Main classes of the tools the bin/ scripts run (kafka-topics.sh → TopicCommand, …). */
export const KafkaTool = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  configs: 'org.apache.kafka.tools.ConfigCommand',
  brokerApiVersions: 'org.apache.kafka.tools.BrokerApiVersionsCommand',
  getOffsets: 'org.apache.kafka.tools.GetOffsetShell',
  transactions: 'org.apache.kafka.tools.TransactionsCommand',
  storage: 'kafka.tools.StorageTool',
} as const;

/** Why the tier cannot run here, or null when it can (only a missing `java` skips it). */
export function javaMissing(): string | null {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return probe.error || probe.status !== 0
    ? 'java is not installed: the Kafka-tools compat tier (Apache Kafka’s own tools as judges) is skipped'
    : null;
}

/** The Java classpath of Kafka's jars; runs fetch-deps.sh (Maven) when the cache lacks it. */
export async function kafkaClasspath(): Promise<string> {
  const file = join(cacheDir, `kafka-${KAFKA_VERSION}`, 'classpath.txt');
  if (!existsSync(file)) await runToEnd(join(kafkaToolsDir, 'fetch-deps.sh'), [], { timeoutMs: 600_000 });
  return readFileSync(file, 'utf8').trim();
}

/** JVM options every Kafka JVM of the tier gets: small heap, quick start, quiet logs. */
export const jvmOptions = [
  '-Xms64m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
  '-Dlog4j2.level=warn',
];

export interface ToolResult {
  /** The tool's exit status (0 when main returned), -1 when it threw, or 'timeout'. */
  code: number | string;
  stdout: string;
  stderr: string;
}

export interface ToolRunOptions {
  stdin?: string;
  timeoutMs?: number;
}

export interface ToolDriver {
  /** Runs `main` of a tool class with `args` inside the driver JVM; calls are served one at a time. */
  run(mainClass: string, args: string[], options?: ToolRunOptions): Promise<ToolResult>;
  close(): Promise<void>;
}

export async function startToolDriver(classpath: string): Promise<ToolDriver> {
  const child: ChildProcessWithoutNullStreams = spawn(
    'java',
    [...jvmOptions, '-cp', classpath, join(kafkaToolsDir, 'ToolDriver.java')],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (result: ToolResult) => void>();
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Partial<ToolResult> & { id?: number; ready?: boolean };
    if (message.ready) ready();
    else if (message.id !== undefined) {
      pending.get(message.id)?.({ code: message.code!, stdout: message.stdout!, stderr: message.stderr! });
      pending.delete(message.id);
    }
  });
  await Promise.race([
    isReady,
    exited.then(() => {
      throw new Error(`the Kafka tool driver exited before it was ready:\n${stderr}`);
    }),
  ]);

  let nextId = 1;
  return {
    run(mainClass, args, { stdin = '', timeoutMs = 60_000 } = {}) {
      const id = nextId++;
      const result = new Promise<ToolResult>((resolve, reject) => {
        pending.set(id, resolve);
        void exited.then(() => reject(new Error(`the Kafka tool driver exited:\n${stderr}`)));
      });
      // The driver answers in order; requests simply queue in its stdin.
      child.stdin.write(JSON.stringify({ id, main: mainClass, args, stdin, timeoutMs }) + '\n');
      return result;
    },
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A tool's output split into lines of whitespace-separated fields (column widths vary by content). */
export function fields(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/));
}
