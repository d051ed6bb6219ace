import { join } from 'node:path';
import {
  jvmOptions,
  KafkaTool,
  kafkaToolsDir,
  type ToolDriver,
  type ToolResult,
} from '../../support/kafka-tools.js';
import { startProcess, type RunningProcess } from '../../support/processes.js';

/**
 * The tool commands the differential tier runs, in order, against Apache Kafka and against sluice.
 * Each step's output is normalised (ids, hosts, ports, column widths) before the two are compared.
 */
export interface Step {
  /** Stable name: the allow-list and the docs table refer to it. */
  name: string;
  /** The command as a user would type it (docs). */
  command: string;
  main: string;
  args: (bootstrap: string) => string[];
  stdin?: string;
  /** Lines whose order is not defined (records from several partitions, listings). */
  unordered?: boolean;
  /**
   * Runs while the Java client (ClientCheck.java) is a live member of LIVE_GROUP. The first such step
   * starts it (after it has produced and consumed); the first step after them lets it leave.
   */
  live?: boolean;
}

export const TOPIC = 'kt-diff';
export const GROUP = 'kt-diff-g';
export const LIVE_TOPIC = 'kt-live';
export const LIVE_GROUP = 'kt-live-g';
const LIVE_RECORDS = 120;
const RECORDS = ['k0:v0', 'k1:v1', 'k2:v2', 'k3:v3', 'k4:v4', 'k5:v5'];

const bs = (bootstrap: string) => ['--bootstrap-server', bootstrap];
const topics = (name: string, command: string, args: string[], unordered = false): Step => ({
  name,
  command: `kafka-topics.sh ${command}`,
  main: KafkaTool.topics,
  args: (b) => [...bs(b), ...args],
  unordered,
});
const groups = (name: string, command: string, args: string[]): Step => ({
  name,
  command: `kafka-consumer-groups.sh ${command}`,
  main: KafkaTool.consumerGroups,
  args: (b) => [...bs(b), ...args],
  unordered: true,
});
const configs = (name: string, command: string, args: string[]): Step => ({
  name,
  command: `kafka-configs.sh ${command}`,
  main: KafkaTool.configs,
  args: (b) => [...bs(b), ...args],
  unordered: true,
});

export const steps: Step[] = [
  topics('topics-create', '--create --partitions 3', [
    '--create',
    '--topic',
    TOPIC,
    '--partitions',
    '3',
    '--replication-factor',
    '1',
  ]),
  topics('topics-create-existing', '--create (topic exists)', [
    '--create',
    '--topic',
    TOPIC,
    '--partitions',
    '3',
  ]),
  topics('topics-list', '--list', ['--list'], true),
  topics('topics-describe', '--describe --topic', ['--describe', '--topic', TOPIC]),
  topics('topics-describe-missing', '--describe (no such topic)', [
    '--describe',
    '--topic',
    'kt-no-such-topic',
  ]),
  {
    name: 'console-producer',
    command: 'kafka-console-producer.sh --property parse.key=true',
    main: KafkaTool.consoleProducer,
    args: (b) => [
      ...bs(b),
      '--topic',
      TOPIC,
      '--property',
      'parse.key=true',
      '--property',
      'key.separator=:',
    ],
    stdin: RECORDS.join('\n') + '\n',
  },
  {
    name: 'console-consumer-group',
    command: 'kafka-console-consumer.sh --group --from-beginning --max-messages',
    main: KafkaTool.consoleConsumer,
    args: (b) => [
      ...bs(b),
      '--topic',
      TOPIC,
      '--group',
      GROUP,
      '--from-beginning',
      '--max-messages',
      String(RECORDS.length),
      '--timeout-ms',
      '30000',
      '--property',
      'print.key=true',
      '--property',
      'print.partition=true',
    ],
    unordered: true,
  },
  ...(
    [
      ['latest', '-1'],
      ['earliest', '-2'],
      ['max-timestamp', '-3'],
    ] as const
  ).map(([what, time]): Step => ({
    name: `get-offsets-${what}`,
    command: `kafka-get-offsets.sh --time ${time}`,
    main: KafkaTool.getOffsets,
    args: (b) => [...bs(b), '--topic', TOPIC, '--time', time],
    unordered: true,
  })),
  {
    name: 'transactions-list',
    command: 'kafka-transactions.sh list',
    main: KafkaTool.transactions,
    args: (b) => [...bs(b), 'list'],
  },
  groups('groups-list', '--list', ['--list']),
  groups('groups-describe-offsets', '--describe --offsets', ['--describe', '--group', GROUP, '--offsets']),
  groups('groups-describe-members', '--describe --members', ['--describe', '--group', GROUP, '--members']),
  groups('groups-describe-state', '--describe --state', ['--describe', '--group', GROUP, '--state']),
  groups('groups-reset-offsets', '--reset-offsets --to-earliest --execute', [
    '--reset-offsets',
    '--group',
    GROUP,
    '--topic',
    TOPIC,
    '--to-earliest',
    '--execute',
  ]),
  groups('groups-describe-after-reset', '--describe --offsets (after reset)', [
    '--describe',
    '--group',
    GROUP,
    '--offsets',
  ]),
  // Matches Kafka once the groups-edges branch (OffsetDelete, API 47) is merged; before, sluice answers
  // UNSUPPORTED_VERSION and this step fails the differential test.
  groups('groups-delete-offsets', '--delete-offsets --topic', [
    '--delete-offsets',
    '--group',
    GROUP,
    '--topic',
    TOPIC,
  ]),
  groups('groups-delete', '--delete --group', ['--delete', '--group', GROUP]),
  groups('groups-list-after-delete', '--list (after delete)', ['--list']),
  configs('configs-describe-topic', '--describe --entity-type topics', [
    '--describe',
    '--entity-type',
    'topics',
    '--entity-name',
    TOPIC,
  ]),
  configs('configs-describe-topic-all', '--describe --all --entity-type topics', [
    '--describe',
    '--all',
    '--entity-type',
    'topics',
    '--entity-name',
    TOPIC,
  ]),
  configs('configs-describe-broker', '--describe --entity-type brokers', [
    '--describe',
    '--entity-type',
    'brokers',
    '--entity-name',
    '1',
  ]),
  configs('configs-describe-broker-all', '--describe --all --entity-type brokers', [
    '--describe',
    '--all',
    '--entity-type',
    'brokers',
    '--entity-name',
    '1',
  ]),
  groups('groups-describe-missing', '--describe --state (no such group)', [
    '--describe',
    '--group',
    'kt-no-such-group',
    '--state',
  ]),
  groups('groups-delete-missing', '--delete (no such group)', ['--delete', '--group', 'kt-no-such-group']),
  topics('topics-create-live', '--create (for the Java client)', [
    '--create',
    '--topic',
    LIVE_TOPIC,
    '--partitions',
    '3',
  ]),
  {
    ...groups('live-describe-members', '--describe --members (live Java consumer)', [
      '--describe',
      '--group',
      LIVE_GROUP,
      '--members',
    ]),
    live: true,
  },
  {
    ...groups('live-describe-members-verbose', '--describe --members --verbose (live)', [
      '--describe',
      '--group',
      LIVE_GROUP,
      '--members',
      '--verbose',
    ]),
    live: true,
  },
  {
    ...groups('live-describe-state', '--describe --state (live)', [
      '--describe',
      '--group',
      LIVE_GROUP,
      '--state',
    ]),
    live: true,
  },
  {
    ...groups('live-describe-offsets', '--describe --offsets (live)', [
      '--describe',
      '--group',
      LIVE_GROUP,
      '--offsets',
    ]),
    live: true,
  },
  groups('groups-delete-live-after', '--delete (after the member left)', ['--delete', '--group', LIVE_GROUP]),
  topics('topics-alter-partitions', '--alter --partitions', [
    '--alter',
    '--topic',
    TOPIC,
    '--partitions',
    '4',
  ]),
  configs('configs-alter-topic', '--alter --add-config', [
    '--alter',
    '--entity-type',
    'topics',
    '--entity-name',
    TOPIC,
    '--add-config',
    'retention.ms=100000',
  ]),
  topics('topics-delete', '--delete --topic', ['--delete', '--topic', TOPIC]),
];

/** The Java client's own step: what ClientCheck.java printed up to joining (produced, consumed, committed). */
export const JAVA_CLIENT_STEP = 'java-client';

/** Every compared outcome: the tool steps and the Java client's. */
export const comparedSteps: Step[] = [
  ...steps,
  {
    name: JAVA_CLIENT_STEP,
    command: 'ClientCheck.java: idempotent acks=all producer, then a consumer group that commits',
    main: '',
    args: () => [],
    unordered: true,
  },
];

/** A step's outcome in comparable form: exit status and normalised output lines. */
export interface Outcome {
  code: number | string;
  lines: string[];
}

/** Runs every step in order against one cluster (the Java client joins around the live steps). */
export async function runSteps(
  driver: ToolDriver,
  classpath: string,
  bootstrap: string,
): Promise<Map<string, ToolResult>> {
  const results = new Map<string, ToolResult>();
  let member: RunningProcess | undefined;
  try {
    for (const step of steps) {
      if (step.live && !member) {
        member = startProcess(
          'java',
          [
            ...jvmOptions,
            '-cp',
            classpath,
            join(kafkaToolsDir, 'ClientCheck.java'),
            bootstrap,
            LIVE_TOPIC,
            LIVE_GROUP,
            String(LIVE_RECORDS),
          ],
          { stdio: ['pipe', 'pipe', 'pipe'] },
        );
        await member.waitForOutput('member ready', 120_000);
        results.set(JAVA_CLIENT_STEP, { code: 0, stdout: member.stdout(), stderr: '' });
      }
      if (!step.live && member && member.child.exitCode === null) {
        member.child.stdin!.end('leave\n');
        await member.exited;
      }
      results.set(step.name, await driver.run(step.main, step.args(bootstrap), { stdin: step.stdin ?? '' }));
    }
  } finally {
    await member?.kill('SIGKILL');
  }
  return results;
}

/** Ids, hosts, ports, timings and column widths aside, what a user would see. */
export function normalise(step: Step, result: ToolResult, bootstrap: string): Outcome {
  const [host, port] = bootstrap.split(':') as [string, string];
  const text = (result.stdout + '\n' + result.stderr)
    .replaceAll(bootstrap, 'HOST:PORT')
    .replaceAll(`${host}/${port}`, 'HOST:PORT')
    .replace(/\/?127\.0\.0\.1(:\d+)?/g, 'HOST')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/TopicId: \S+/g, 'TopicId: ID')
    // The driver names each tool's thread after its request number.
    .replace(/\[tool-\d+\]/g, '[tool]')
    .replace(/\b\d{10,}\b/g, 'N');
  let lines = text
    .split('\n')
    .map((line) => line.trim().split(/\s+/).join(' '))
    .filter((line) => line !== '')
    // The hint about KIP-848 is the client's, printed whatever the broker is.
    .filter((line) => !line.startsWith('The consumer rebalance protocol (KIP-848)'));
  if (step.unordered) lines = [...lines].sort();
  return { code: result.code, lines };
}

/** Lines only in one of the two outcomes (and the exit statuses when they differ). */
export function difference(kafka: Outcome, sluice: Outcome): string[] {
  const diff: string[] = [];
  if (kafka.code !== sluice.code) diff.push(`exit status: Kafka ${kafka.code}, sluice ${sluice.code}`);
  const inSluice = new Set(sluice.lines);
  const inKafka = new Set(kafka.lines);
  for (const line of kafka.lines) if (!inSluice.has(line)) diff.push(`only Kafka:  ${line}`);
  for (const line of sluice.lines) if (!inKafka.has(line)) diff.push(`only sluice: ${line}`);
  return diff;
}
