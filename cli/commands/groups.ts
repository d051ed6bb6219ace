import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  GroupActiveError,
  GroupAdmin,
  GroupNotFoundError,
  type GroupDescription,
  type OffsetResetSpec,
  type PlannedReset,
} from '../../consumer/group-admin.js';
import { ErrorCode, errorByCode, KafkaProtocolError } from '../../protocol/errors.js';
import {
  addZooKeeperOnlyOptions,
  DEFAULT_ZOOKEEPER,
  groupFrom,
  refuseBootstrapServer,
  requireZooKeeperListening,
  runCommand,
  UserError,
} from './client-options.js';
import type { GroupKind } from '../../coordinator/group-kind.js';
import { describeCoordinatorGroup, type CoordinatorGroupView } from './coordinator-group-members.js';

interface GroupOptions {
  group?: string;
  zookeeper?: string;
  bootstrapServer?: string;
  output: 'text' | 'json';
}

interface ResetOptions extends GroupOptions {
  topic?: string;
  byDuration?: number;
  fromFile?: string;
  export?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: bigint;
  toDatetime?: number;
  shiftBy?: bigint;
  dryRun?: boolean;
  execute?: boolean;
}

function outputFormat(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('must be text or json');
  return value;
}

function bigintOption(name: string) {
  return (value: string): bigint => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be an integer`);
    return BigInt(value.trim());
  };
}

function datetimeOption(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('must be an ISO date-time, e.g. 2024-05-01T12:00:00Z');
  return ms;
}

/**
 * kafka-consumer-groups' --by-duration: an ISO-8601 duration (PnDTnHnMnS, e.g. PT1H30M, P1D) back
 * from now, in ms.
 */
function durationOption(value: string): number {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!match || value.trim() === 'P' || value.trim().endsWith('T'))
    throw new InvalidArgumentError('must be an ISO-8601 duration PnDTnHnMnS, e.g. PT1H or P1DT12H');
  const [, d = '0', h = '0', m = '0', sec = '0'] = match;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(sec) * 1000;
}

/** --from-file's CSV (`topic,partition,offset` per line, as --export writes it), by topic. */
async function readResetFile(path: string): Promise<Map<string, Map<number, bigint>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read --from-file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const byTopic = new Map<string, Map<number, bigint>>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const match = /^(.+),(\d+),(\d+)$/.exec(line);
    if (!match) throw new UserError(`--from-file ${path} line ${index + 1}: expected topic,partition,offset`);
    const offsets = byTopic.get(match[1]!) ?? new Map<number, bigint>();
    offsets.set(Number(match[2]), BigInt(match[3]!));
    byTopic.set(match[1]!, offsets);
  });
  if (byTopic.size === 0) throw new UserError(`--from-file ${path} lists no offsets`);
  return byTopic;
}

function withGroupOptions(command: Command): Command {
  return addZooKeeperOnlyOptions(command, 'the groups').option(
    '--output <format>',
    'text or json',
    outputFormat,
    'text',
  );
}

/** Runs `body` with a GroupAdmin; group errors become one-line user errors. */
async function withGroups(options: GroupOptions, body: (admin: GroupAdmin) => Promise<void>): Promise<void> {
  refuseBootstrapServer(options, 'consumer groups');
  await requireZooKeeperListening(options.zookeeper ?? DEFAULT_ZOOKEEPER);
  const admin = await GroupAdmin.connect(options.zookeeper ?? DEFAULT_ZOOKEEPER);
  try {
    await body(admin);
  } catch (error) {
    if (error instanceof GroupActiveError || error instanceof GroupNotFoundError)
      throw new UserError(error.message);
    throw error;
  } finally {
    await admin.close();
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function show(value: bigint | null): string {
  return value === null ? '-' : String(value);
}

/**
 * Which kind of group serves the id now (coordinator/group-kind.ts): ZooKeeper members, Kafka-protocol
 * members on a coordinator broker, or nobody (offsets only).
 */
type LiveKind = GroupKind | 'inactive';

function liveKind(description: GroupDescription, coordinator: CoordinatorGroupView | null): LiveKind {
  if (description.members.length > 0) return 'zookeeper';
  if (coordinator !== null && coordinator.members.length > 0) return 'broker-coordinated';
  return 'inactive';
}

function describeText(description: GroupDescription, kind: LiveKind): string {
  const generation = description.generation === null ? '' : `, generation ${description.generation}`;
  const title =
    kind === 'zookeeper'
      ? `GROUP ${description.group}: ZooKeeper group, ${description.members.length} live member(s)${generation}`
      : kind === 'broker-coordinated'
        ? `GROUP ${description.group}: broker-coordinated group (members on the coordinator, below)`
        : `GROUP ${description.group}: no live members${generation}`;
  const rows = description.partitions.map((p) => [
    p.topic,
    String(p.partition),
    show(p.currentOffset),
    show(p.logEndOffset),
    show(p.lag),
    p.owner ?? '-',
  ]);
  return `${title}\n${table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'OWNER'], rows)}`;
}

function coordinatorText(view: CoordinatorGroupView): string {
  const title = `COORDINATOR broker ${view.coordinator}: ${view.state}, ${view.members.length} member(s)${view.protocol ? `, protocol ${view.protocol}` : ''}`;
  if (view.members.length === 0) return title;
  const rows = view.members.map((m) => [m.memberId, m.clientId, m.groupInstanceId ?? '-']);
  return `${title}\n${table(['MEMBER-ID', 'CLIENT-ID', 'INSTANCE-ID'], rows)}`;
}

function jsonNumber(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

function resetSpec(options: ResetOptions): OffsetResetSpec {
  const chosen: OffsetResetSpec[] = [];
  if (options.toEarliest) chosen.push({ kind: 'earliest' });
  if (options.toLatest) chosen.push({ kind: 'latest' });
  if (options.toOffset !== undefined) chosen.push({ kind: 'offset', offset: options.toOffset });
  if (options.toDatetime !== undefined) chosen.push({ kind: 'datetime', timestampMs: options.toDatetime });
  if (options.shiftBy !== undefined) chosen.push({ kind: 'shift', by: options.shiftBy });
  if (options.byDuration !== undefined)
    chosen.push({ kind: 'datetime', timestampMs: Date.now() - options.byDuration });
  if (options.fromFile !== undefined) chosen.push({ kind: 'offsets', offsets: new Map() });
  if (chosen.length !== 1)
    throw new UserError(
      'give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --by-duration, --shift-by, --from-file',
    );
  return chosen[0]!;
}

/** `sluice groups list|describe|reset-offsets|delete|delete-offsets`, like kafka-consumer-groups. */
export function registerGroupsCommand(program: Command): void {
  const groups = program.command('groups').description('inspect and manage ZooKeeper consumer groups');

  withGroupOptions(groups.command('list').description('list consumer groups')).action(
    (options: GroupOptions) =>
      runCommand('groups list', () =>
        withGroups(options, async (admin) => {
          const names = await admin.listGroups();
          if (options.output === 'json') console.log(JSON.stringify(names));
          else for (const name of names) console.log(name);
        }),
      ),
  );

  withGroupOptions(
    groups
      .command('describe')
      .description('committed offset, log end, lag and owner of every partition of the group')
      .argument('[group]', 'group id')
      .option('--group <id>', 'the group, as kafka-consumer-groups takes it (instead of the argument)'),
  ).action((argument: string | undefined, options: GroupOptions) =>
    runCommand('groups describe', () =>
      withGroups(options, async (admin) => {
        const group = groupFrom(argument, options.group, 'groups describe');
        // Kafka-protocol members (kafkajs, librdkafka, …) live in the broker's coordinator, not ZooKeeper.
        const coordinator = await describeCoordinatorGroup(options.zookeeper ?? DEFAULT_ZOOKEEPER, group);
        let description: GroupDescription;
        try {
          description = await admin.describeGroup(group);
        } catch (error) {
          // A coordinator group that has not committed yet has no ZooKeeper node.
          if (!(error instanceof GroupNotFoundError) || coordinator === null) throw error;
          description = { group, members: [], generation: null, partitions: [] };
        }
        if (options.output === 'json')
          console.log(
            JSON.stringify({
              ...description,
              kind: liveKind(description, coordinator),
              coordinator,
              partitions: description.partitions.map((p) => ({
                ...p,
                currentOffset: jsonNumber(p.currentOffset),
                logEndOffset: jsonNumber(p.logEndOffset),
                lag: jsonNumber(p.lag),
              })),
            }),
          );
        else {
          console.log(describeText(description, liveKind(description, coordinator)));
          // The coordinator knows every group with committed offsets (as "Empty"); its section says
          // something only when Kafka-protocol members are there, or it alone knows the group.
          const zooKeeperOnly = description.members.length > 0 || description.partitions.length > 0;
          if (coordinator && (coordinator.members.length > 0 || !zooKeeperOnly))
            console.log(coordinatorText(coordinator));
        }
      }),
    ),
  );

  withGroupOptions(
    groups
      .command('reset-offsets')
      .description('rewrite a stopped group’s committed offsets for a topic (dry run unless --execute)')
      .argument('[group]', 'group id')
      .option('--group <id>', 'the group, as kafka-consumer-groups takes it (instead of the argument)')
      .option(
        '--topic <name>',
        'topic whose offsets to reset (not with --from-file, whose lines name theirs)',
      )
      .option('--to-earliest', 'the log start')
      .option('--to-latest', 'the log end')
      .option('--to-offset <n>', 'this offset (clamped to the log)', bigintOption('offset'))
      .option('--to-datetime <iso>', 'the first offset at or after this time', datetimeOption)
      .option('--by-duration <PnDTnHnMnS>', 'the first offset at or after this long ago', durationOption)
      .option('--shift-by <n>', 'move the committed offset by n (may be negative)', bigintOption('shift'))
      .option('--from-file <csv>', 'offsets from a topic,partition,offset file (as --export writes)')
      .option('--dry-run', 'show the new offsets only (the default)')
      .option('--execute', 'write the new offsets')
      .option('--export', 'print the plan as topic,partition,offset lines (for --from-file)')
      .addHelpText(
        'after',
        '\nExamples:\n  sluice groups reset-offsets g --topic orders --to-earliest --execute\n  sluice groups reset-offsets g --topic orders --by-duration PT1H --dry-run\n  sluice groups reset-offsets g --topic orders --shift-by -10 --export > plan.csv\n  sluice groups reset-offsets g --from-file plan.csv --execute',
      ),
  ).action((argument: string | undefined, options: ResetOptions) =>
    runCommand('groups reset-offsets', () =>
      withGroups(options, async (admin) => {
        const group = groupFrom(argument, options.group, 'groups reset-offsets');
        if (options.dryRun && options.execute) throw new UserError('give --dry-run or --execute, not both');
        const spec = resetSpec(options);
        const steps: Array<[string, OffsetResetSpec]> = [];
        if (options.fromFile !== undefined) {
          if (options.topic !== undefined)
            throw new UserError('give --topic or --from-file, not both (the file names the topics)');
          for (const [topic, offsets] of await readResetFile(options.fromFile))
            steps.push([topic, { kind: 'offsets', offsets }]);
        } else if (options.topic === undefined) throw new UserError('give --topic (or --from-file)');
        else steps.push([options.topic, spec]);
        const plan: PlannedReset[] = [];
        for (const [topic, step] of steps)
          plan.push(
            ...(await admin.planReset(group, topic, step).catch((error: unknown) => {
              if (error instanceof KafkaProtocolError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                throw new UserError(
                  options.fromFile === undefined
                    ? `topic ${topic} does not exist`
                    : `${options.fromFile}: ${error.message}`,
                );
              throw error;
            })),
          );
        if (options.execute) {
          await refuseWhileCoordinatorMembers(options, group);
          await admin.executeReset(group, plan);
        }
        printPlan(plan, options, group);
      }),
    ),
  );

  withGroupOptions(
    groups
      .command('delete')
      .description('delete a group with no live members (its offsets, owners and assignment)')
      .argument('[group]', 'group id')
      .option('--group <id>', 'the group, as kafka-consumer-groups takes it (instead of the argument)'),
  ).action((argument: string | undefined, options: GroupOptions) =>
    runCommand('groups delete', () =>
      withGroups(options, async (admin) => {
        const group = groupFrom(argument, options.group, 'groups delete');
        await refuseWhileCoordinatorMembers(options, group);
        await admin.deleteGroup(group);
        if (options.output === 'json') console.log(JSON.stringify({ group, deleted: true }));
        else console.log(`Deleted group ${group}.`);
      }),
    ),
  );

  registerDeleteOffsets(groups);
}

function registerDeleteOffsets(groups: Command): void {
  withGroupOptions(
    groups
      .command('delete-offsets')
      .description(
        'delete a group’s committed offsets for a topic (refused for topics its live members consume)',
      )
      .argument('[group]', 'group id')
      .option('--group <id>', 'the group, as kafka-consumer-groups takes it (instead of the argument)')
      .requiredOption(
        '--topic <topic[:partitions]>',
        'the topic, or topic:0,1 for some partitions',
        topicPartitions,
      ),
  ).action(
    (argument: string | undefined, options: GroupOptions & { topic: ReturnType<typeof topicPartitions> }) =>
      runCommand('groups delete-offsets', () =>
        withGroups(options, async (admin) => {
          const group = groupFrom(argument, options.group, 'groups delete-offsets');
          const { topic, partitions } = options.topic;
          const results = await admin.deleteOffsets(group, topic, partitions).catch((error: unknown) => {
            if (error instanceof KafkaProtocolError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
              throw new UserError(`topic ${topic} does not exist`);
            throw error;
          });
          const status = (code: number) =>
            code === 0 ? 'Successful' : `Error: ${new KafkaProtocolError(code).message}`;
          if (options.output === 'json')
            console.log(
              JSON.stringify({
                group,
                partitions: results.map((r) => ({
                  ...r,
                  error: r.errorCode === 0 ? null : errorByCode(r.errorCode)?.name,
                })),
              }),
            );
          else
            console.log(
              table(
                ['TOPIC', 'PARTITION', 'STATUS'],
                results.map((r) => [r.topic, String(r.partition), status(r.errorCode)]),
              ),
            );
          const failed = results.filter((r) => r.errorCode !== 0).length;
          if (failed > 0)
            throw new UserError(`${failed} of ${results.length} partition(s) kept their offsets`);
        }),
      ),
  );
}

/** Members of a broker-coordinated group are not in ZooKeeper: ask the coordinator before writing. */
async function refuseWhileCoordinatorMembers(options: GroupOptions, group: string): Promise<void> {
  const view = await describeCoordinatorGroup(options.zookeeper ?? DEFAULT_ZOOKEEPER, group);
  if (view && view.members.length > 0)
    throw new UserError(
      `group ${group} has ${view.members.length} live member(s) on coordinator broker ${view.coordinator}; stop them first`,
    );
}

/** `--topic t` or `--topic t:0,2` (kafka-consumer-groups' spelling). */
function topicPartitions(value: string): { topic: string; partitions: number[] | null } {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return { topic: value, partitions: null };
  const list = value.slice(colon + 1).split(',');
  if (!list.every((p) => /^\d+$/.test(p.trim())))
    throw new InvalidArgumentError('must be TOPIC or TOPIC:PARTITION[,PARTITION…]');
  return { topic: value.slice(0, colon), partitions: list.map((p) => Number(p.trim())) };
}

function printPlan(plan: readonly PlannedReset[], options: ResetOptions, group: string): void {
  if (options.export) {
    for (const p of plan) console.log(`${p.topic},${p.partition},${p.newOffset}`);
    if (!options.execute) process.stderr.write('dry run: nothing written (use --execute to apply)\n');
    return;
  }
  if (options.output === 'json') {
    console.log(
      JSON.stringify({
        group,
        executed: options.execute === true,
        partitions: plan.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          currentOffset: jsonNumber(p.currentOffset),
          newOffset: Number(p.newOffset),
        })),
      }),
    );
    return;
  }
  console.log(
    table(
      ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'],
      plan.map((p) => [p.topic, String(p.partition), show(p.currentOffset), String(p.newOffset)]),
    ),
  );
  if (!options.execute) process.stderr.write('dry run: nothing written (use --execute to apply)\n');
}
