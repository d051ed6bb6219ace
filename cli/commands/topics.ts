import type { Command } from 'commander';
import { KafkaAdmin, type TopicDescription, type TopicOperationResult } from '../../client/admin.js';
import { errorByCode } from '../../protocol/errors.js';
import {
  addClusterOptions,
  clientOptionsFrom,
  integerOption,
  keyValueOption,
  requireClusterListening,
  runCommand,
  topicFrom,
  UserError,
  type ClusterOptions,
} from './client-options.js';

interface CreateOptions extends ClusterOptions {
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string>;
  ifNotExists?: boolean;
}

interface DeleteOptions extends ClusterOptions {
  topic?: string;
  ifExists?: boolean;
}

interface DescribeOptions extends ClusterOptions {
  topic?: string;
  underReplicatedPartitions?: boolean;
  unavailablePartitions?: boolean;
  underMinIsrPartitions?: boolean;
  atMinIsrPartitions?: boolean;
  topicsWithOverrides?: boolean;
}

type PartitionFilter = (p: TopicDescription['partitions'][number], minIsr: number) => boolean;

/** kafka-topics' describe filters: only the partitions (or topics) in that state are shown. */
const PARTITION_FILTERS: Array<[keyof DescribeOptions, PartitionFilter]> = [
  ['underReplicatedPartitions', (p) => p.isr.length < p.replicas.length],
  ['unavailablePartitions', (p) => p.leader < 0],
  ['underMinIsrPartitions', (p, minIsr) => p.isr.length < minIsr],
  ['atMinIsrPartitions', (p, minIsr) => p.isr.length === minIsr],
];

const TOPIC_ALREADY_EXISTS = 36;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

async function withAdmin<T>(options: ClusterOptions, run: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  await requireClusterListening(options);
  const admin = await KafkaAdmin.create(clientOptionsFrom(options));
  try {
    return await run(admin);
  } finally {
    await admin.close();
  }
}

/** `sluice topics create|list|describe|delete`, like kafka-topics.sh. */
export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('create, list, describe and delete topics');

  addClusterOptions(
    topics
      .command('create')
      .description('create a topic (through the controller’s CreateTopics)')
      .argument('[topic]', 'topic name (or --topic)')
      .option('--topic <name>', 'topic name, as kafka-topics takes it')
      .option(
        '--partitions <n>',
        'partition count (default: the broker’s num.partitions)',
        integerOption('partitions', 1, 1_000_000),
      )
      .option(
        '--replication-factor <n>',
        'replicas per partition (default: the broker’s default.replication.factor)',
        integerOption('replication factor', 1, 32_767),
      )
      .option('--config <key=value>', 'topic config, repeatable', keyValueOption)
      .option('--if-not-exists', 'succeed quietly if the topic exists')
      .addHelpText(
        'after',
        '\nExamples:\n  sluice topics create orders --partitions 6 --replication-factor 3\n  sluice topics create --topic orders --config min.insync.replicas=2',
      ),
  ).action((argument: string | undefined, options: CreateOptions) =>
    runCommand('topics create', () =>
      withAdmin(options, async (admin) => {
        options.topic = topicFrom(argument, options.topic, 'topics create');
        const [result] = await admin.createTopics([
          {
            name: options.topic,
            numPartitions: options.partitions,
            replicationFactor: options.replicationFactor,
            configs: options.config,
          },
        ]);
        const exists = result?.error?.code === TOPIC_ALREADY_EXISTS;
        if (result?.error && !(exists && options.ifNotExists)) throw operationError(result);
        if (options.output === 'json')
          console.log(JSON.stringify({ topic: options.topic, created: !exists }));
        else
          console.log(exists ? `Topic ${options.topic} already exists.` : `Created topic ${options.topic}.`);
      }),
    ),
  );

  addClusterOptions(topics.command('list').description('list topic names')).action(
    (options: ClusterOptions) =>
      runCommand('topics list', () =>
        withAdmin(options, async (admin) => {
          const names = await admin.listTopics();
          if (options.output === 'json') console.log(JSON.stringify(names));
          else for (const name of names) console.log(name);
        }),
      ),
  );

  addClusterOptions(
    topics
      .command('describe')
      .description('partitions with leader, replicas, ISR and log start/end offsets')
      .argument('[topic]', 'one topic (default: every topic)')
      .option('--topic <name>', 'one topic, as kafka-topics takes it')
      .option('--under-replicated-partitions', 'only partitions whose ISR is smaller than their replicas')
      .option('--unavailable-partitions', 'only partitions without a leader')
      .option('--under-min-isr-partitions', 'only partitions whose ISR is below min.insync.replicas')
      .option('--at-min-isr-partitions', 'only partitions whose ISR is exactly min.insync.replicas')
      .option('--topics-with-overrides', 'only topics with config overrides (summary lines only)')
      .addHelpText(
        'after',
        '\nExamples:\n  sluice topics describe orders\n  sluice topics describe --under-replicated-partitions\n  sluice topics describe --topics-with-overrides --output json',
      ),
  ).action((argument: string | undefined, options: DescribeOptions) =>
    runCommand('topics describe', () =>
      withAdmin(options, async (admin) => {
        const only =
          argument === undefined && options.topic === undefined
            ? undefined
            : topicFrom(argument, options.topic, 'topics describe');
        const descriptions = await admin.describeTopics(only === undefined ? undefined : [only]);
        const missing = descriptions.find((d) => d.errorCode !== 0);
        if (missing) {
          const name = errorByCode(missing.errorCode)?.name ?? `error ${missing.errorCode}`;
          throw new UserError(
            missing.errorCode === UNKNOWN_TOPIC_OR_PARTITION
              ? `topic ${missing.name} does not exist`
              : `topic ${missing.name}: ${name}`,
          );
        }
        const configs = await admin.describeTopicConfigs(descriptions.map((d) => d.name));
        let shown = descriptions.map((d) => ({ ...d, configs: configs.get(d.name) ?? {} }));
        const filters = PARTITION_FILTERS.filter(([flag]) => options[flag] === true).map(([, f]) => f);
        if (filters.length > 0) {
          const effective = await admin.describeTopicConfigs(
            shown.map((d) => d.name),
            { effective: true },
          );
          shown = shown
            .map((d) => {
              const minIsr = Number(effective.get(d.name)?.['min.insync.replicas'] ?? '1');
              return { ...d, partitions: d.partitions.filter((p) => filters.some((f) => f(p, minIsr))) };
            })
            .filter((d) => d.partitions.length > 0);
        }
        const summaryOnly = options.topicsWithOverrides === true;
        if (summaryOnly) shown = shown.filter((d) => Object.keys(d.configs).length > 0);
        if (options.output === 'json') console.log(JSON.stringify(shown.map(describeJson)));
        else
          for (const description of shown)
            console.log(
              filters.length > 0
                ? partitionLines(description).join('\n')
                : summaryOnly
                  ? summaryLine(description)
                  : describeText(description),
            );
      }),
    ),
  );

  addClusterOptions(
    topics
      .command('delete')
      .description('delete a topic (through the controller’s DeleteTopics)')
      .argument('[topic]', 'topic name (or --topic)')
      .option('--topic <name>', 'topic name, as kafka-topics takes it')
      .option('--if-exists', 'succeed quietly if the topic does not exist'),
  ).action((argument: string | undefined, options: DeleteOptions) =>
    runCommand('topics delete', () =>
      withAdmin(options, async (admin) => {
        options.topic = topicFrom(argument, options.topic, 'topics delete');
        const [result] = await admin.deleteTopics([options.topic]);
        const absent = result?.error?.code === UNKNOWN_TOPIC_OR_PARTITION;
        if (absent && !options.ifExists) throw new UserError(`topic ${options.topic} does not exist`);
        if (result?.error && !absent) throw operationError(result);
        if (options.output === 'json')
          console.log(JSON.stringify({ topic: options.topic, deleted: !absent }));
        else
          console.log(absent ? `Topic ${options.topic} does not exist.` : `Deleted topic ${options.topic}.`);
      }),
    ),
  );
}

/**
 * One line for a failed create/delete: the broker's own explanation when it gave one ("replication
 * factor 5 is larger than the 3 live broker(s)"), else Kafka's description of the code and its name.
 */
function operationError(result: TopicOperationResult): UserError {
  if (result.errorMessage) return new UserError(result.errorMessage);
  const info = errorByCode(result.error!.code);
  return new UserError(
    `topic ${result.name}: ${info ? `${info.message} (${info.name})` : `error ${result.error!.code}`}`,
  );
}

function offsetText(offset: bigint | null): string {
  return offset === null ? '?' : offset.toString();
}

/** kafka-topics' layout: a summary line, then one tab-separated line per partition. */
type DescribedTopic = TopicDescription & { configs: Record<string, string> };

function describeText(topic: DescribedTopic): string {
  return [summaryLine(topic), ...partitionLines(topic)].join('\n');
}

function summaryLine(topic: DescribedTopic): string {
  const replicationFactor = topic.partitions[0]?.replicas.length ?? 0;
  const configs = Object.entries(topic.configs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `Topic: ${topic.name}\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configs}`;
}

/** Kafka's filtered describe prints just these lines, without the topic's summary line. */
function partitionLines(topic: DescribedTopic): string[] {
  const lines: string[] = [];
  for (const p of topic.partitions) {
    lines.push(
      [
        '',
        `Topic: ${topic.name}`,
        `Partition: ${p.partition}`,
        `Leader: ${p.leader < 0 ? 'none' : p.leader}`,
        `Replicas: ${p.replicas.join(',')}`,
        `Isr: ${p.isr.join(',')}`,
        `LogStartOffset: ${offsetText(p.logStartOffset)}`,
        `LogEndOffset: ${offsetText(p.logEndOffset)}`,
      ].join('\t'),
    );
  }
  return lines;
}

function describeJson(topic: DescribedTopic) {
  return {
    topic: topic.name,
    partitionCount: topic.partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    configs: topic.configs,
    partitions: topic.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      logStartOffset: p.logStartOffset === null ? null : Number(p.logStartOffset),
      logEndOffset: p.logEndOffset === null ? null : Number(p.logEndOffset),
    })),
  };
}
