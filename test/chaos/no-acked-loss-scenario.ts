import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startApacheZooKeeper } from '../../coordinator/apache-ensemble.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer } from '../../coordinator/server/index.js';
import type { PartitionState } from '../../coordinator/zk-paths.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';
import { freePorts } from '../support/ports.js';
import { runToEnd, startSluice, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const { Kafka, logLevel } = kafkajs;

/**
 * No acknowledged record lost: three real `sluice broker` processes, a topic with RF=3 and
 * min.insync.replicas=2, kafkajs producers (acks=-1, idempotence off) writing numbered records while a
 * seeded random broker — the leader of a random partition two rounds in three — is SIGKILLed and
 * restarted (every Nth round, optionally, a leader is stopped with SIGTERM instead: a controlled
 * shutdown). Every acknowledged record is remembered with the partition and offset the broker gave it;
 * afterwards kcat reads every partition to its end and we count what is lost, misplaced, out of order
 * or duplicated. Shared by the long chaos suite and the short integration wrapper.
 *
 * Each send targets one partition: kafkajs 2.2.4 silently drops the messages of a partition whose leader
 * moved to a broker that already answered the same multi-broker send, which would be counted against
 * the broker.
 */

export type ChaosCoordinator = 'embedded' | 'apache-ensemble';

export interface NoAckedLossOptions {
  coordinator: ChaosCoordinator;
  rounds: number;
  seed: number;
  partitions?: number;
  /** Chance (0–1) that a round also kills a second broker before restarting the first. Default 0. */
  doubleKillRate?: number;
  /** Every Nth round stops a partition leader with SIGTERM (controlled shutdown) instead. Default 0: never. */
  controlledShutdownEvery?: number;
  /** Where progress lines go (the tests print them). */
  say?: (line: string) => void;
  /**
   * Keep a timeline here (CHAOS_LOG_DIR): every broker run's info log, the client's send attempts and
   * errors, and the kills — what test/chaos/failover-timeline.ts reads to show where a failover's time
   * goes.
   */
  logDir?: string;
  /** With logDir: keep every client request and reconnect (CHAOS_CLIENT_DEBUG=1), not only errors. */
  clientDebug?: boolean;
}

export interface NoAckedLossResult {
  coordinator: ChaosCoordinator;
  seed: number;
  rounds: number;
  acknowledged: number;
  lost: number;
  /** Acknowledged at one offset, found at another. */
  misplaced: number;
  outOfOrder: number;
  /** Copies beyond the first of any value in the log (acknowledged or not: retries may re-append). */
  duplicated: number;
  failedSends: number;
  /** Rounds in which two brokers were down at once. */
  doubleKills: number;
  /** Per round: ms from the SIGKILL to the first acknowledgement on a partition the victim led (if any). */
  failoverMs: number[];
  /**
   * Per SIGTERM round: the longest acknowledged send, on the partitions the stopped broker led, among
   * those in flight between the SIGTERM and its exit — how long those partitions were unavailable.
   */
  controlledShutdownMs: number[];
  runtimeMs: number;
  /** The first few lost and misplaced records (value@partition/offset), for the report. */
  lostExamples: string[];
  misplacedExamples: string[];
}

interface Acked {
  value: string;
  offset: number;
  /** When the acknowledged send started: failover counts only sends begun after the kill. */
  sentAt: number;
  at: number;
}

const SESSION_TIMEOUT_MS = 3_000;
/**
 * The producer's retry schedule, set explicitly because it, not the broker, decides how soon after the
 * new leader serves the first acknowledgement lands. kafkajs refreshes metadata right after a failed
 * send (retrying that refresh, with the same backoff, while a partition has no live leader) and then
 * sleeps the backoff, so a retry can still carry the dead leader and pay a second backoff: with a 1 s
 * cap that added 0.2–1.8 s after the new leader served, 0.2–0.7 s with 200 ms. A fixed ~100 ms is the
 * Java producer's retry.backoff.ms default; 300 retries keep a send alive ~30 s, through the rounds
 * where two brokers are down and nothing may be acknowledged until one returns.
 */
const CLIENT_RETRY = { retries: 300, initialRetryTime: 100, maxRetryTime: 100 };
const BATCH = 20;

/** mulberry32: small, seedable, good enough to pick victims reproducibly. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function startCoordinator(
  kind: ChaosCoordinator,
): Promise<{ connectionString: string; close(): Promise<void> }> {
  if (kind === 'embedded') return startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
  // tickTime 500: sessions of 1–10 s, so the brokers' 3 s timeout is honoured as asked.
  return startApacheZooKeeper({ nodes: 3, tickTime: 500 });
}

export async function runNoAckedLossScenario(options: NoAckedLossOptions): Promise<NoAckedLossResult> {
  const started = Date.now();
  const { coordinator: kind, rounds, seed } = options;
  const partitions = options.partitions ?? 3;
  const doubleKillRate = options.doubleKillRate ?? 0;
  const controlledShutdownEvery = options.controlledShutdownEvery ?? 0;
  const say = options.say ?? (() => undefined);
  const random = seededRandom(seed);
  const topic = 'chaos-acked';
  const dir = await mkdtemp(join(tmpdir(), 'sluice-chaos-acked-'));
  const brokers = new Map<number, RunningProcess>();
  const logDir = options.logDir;
  let runs = 0;
  const runOf = new Map<RunningProcess, number>();
  const keepLog = async (id: number, broker: RunningProcess) => {
    if (logDir !== undefined)
      await writeFile(
        join(logDir, `broker-${id}-run${runOf.get(broker)}.log`),
        broker.stdout() + broker.stderr(),
      );
  };
  let coordinator: { connectionString: string; close(): Promise<void> } | undefined;
  let session: ZooKeeperSession | undefined;
  try {
    coordinator = await startCoordinator(kind);
    session = await ZooKeeperSession.connect(coordinator.connectionString);
    const state = new ClusterState(session);
    const ports = await freePorts(3);
    const zookeeper = coordinator.connectionString;
    say(`chaos[${kind}]: seed ${seed}, ${rounds} rounds, coordinator ${zookeeper}`);

    if (logDir !== undefined) await mkdir(logDir, { recursive: true });
    const timeline = (event: Record<string, unknown>) => {
      if (logDir === undefined) return;
      void appendFile(join(logDir, 'scenario.log'), JSON.stringify({ time: Date.now(), ...event }) + '\n');
    };
    const stopBroker = async (id: number, signal: NodeJS.Signals) => {
      const broker = brokers.get(id)!;
      brokers.delete(id);
      timeline({ event: 'stop', broker: id, signal });
      await broker.kill(signal);
      await keepLog(id, broker);
    };

    const launch = async (id: number) => {
      const overrides: Record<string, string> = {
        'broker.id': String(id),
        listeners: `PLAINTEXT://127.0.0.1:${ports[id - 1]!}`,
        'log.dirs': join(dir, `broker-${id}`),
        'zookeeper.connect': zookeeper,
        'zookeeper.session.timeout.ms': String(SESSION_TIMEOUT_MS),
        'min.insync.replicas': '2',
        'default.replication.factor': '3',
        'replica.fetch.wait.max.ms': '200',
      };
      const args = ['broker'];
      for (const [key, value] of Object.entries(overrides)) args.push('--override', `${key}=${value}`);
      const broker = startSluice(args, logDir !== undefined ? { env: { SLUICE_LOG_LEVEL: 'info' } } : {});
      brokers.set(id, broker);
      runOf.set(broker, ++runs);
      timeline({ event: 'launch', broker: id, run: runs });
      await broker.waitForOutput(`sluice broker ${id} listening on`, 60_000);
      await waitFor(async () => (await state.readBroker(id)) !== null, {
        timeoutMs: 30_000,
        what: `broker ${id} registered`,
      });
    };
    const states = (): Promise<(PartitionState | null)[]> =>
      Promise.all(
        Array.from(
          { length: partitions },
          async (_, partition) => (await state.readPartitionState({ topic, partition }))?.value ?? null,
        ),
      );
    const fullIsrs = async () =>
      (await states()).every((s) => s !== null && s.leader >= 0 && s.isr.length === 3);

    await Promise.all([1, 2, 3].map((id) => launch(id)));
    const admin = await RawKafkaConnection.open(ports[0]!);
    const created = await admin.request(19, 5, {
      topics: [
        {
          name: topic,
          numPartitions: partitions,
          replicationFactor: 3,
          assignments: [],
          configs: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    admin.close();
    if (created.topics[0]!.errorCode !== 0)
      throw new Error(`CreateTopics failed with error ${created.topics[0]!.errorCode}`);
    await waitFor(fullIsrs, { timeoutMs: 30_000, what: 'leaders elected and full ISRs' });

    const kafka = new Kafka({
      clientId: 'chaos-acked',
      brokers: ports.map((p) => `127.0.0.1:${p}`),
      logLevel:
        logDir === undefined ? logLevel.NOTHING : options.clientDebug ? logLevel.DEBUG : logLevel.ERROR,
      logCreator: () => (entry) => timeline({ event: 'client', ...entry.log }),
      retry: CLIENT_RETRY,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    const acked: Acked[][] = Array.from({ length: partitions }, () => []);
    const ackedCount = () => acked.reduce((n, a) => n + a.length, 0);
    let next = 0;
    let failedSends = 0;
    let stop = false;
    const sender = async (partition: number) => {
      while (!stop) {
        const messages = Array.from({ length: BATCH }, () => ({ partition, value: `r${next++}` }));
        const sentAt = Date.now();
        try {
          const result = await producer.send({ topic, acks: -1, timeout: 10_000, messages });
          const meta = result.find((r) => r.partition === partition);
          if (result.length === 1 && meta !== undefined && meta.errorCode === 0) {
            const base = Number(meta.baseOffset);
            const at = Date.now();
            // Slow sends are the ones that rode out a failover: keep them for the timeline.
            if (at - sentAt > 300) timeline({ event: 'slow-ack', partition, sentAt, at });
            messages.forEach((m, i) =>
              acked[partition]!.push({ value: m.value, offset: base + i, sentAt, at }),
            );
          } else {
            timeline({ event: 'send-unacknowledged', partition, sentAt, result });
          }
        } catch (error) {
          timeline({ event: 'send-failed', partition, sentAt, error: String(error) });
          failedSends++;
        }
        // A send that settles without I/O (kafkajs resolves with no result when its metadata has no
        // entry for the partition) must not turn this loop into a microtask spin that starves every timer.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const sending = Promise.all(Array.from({ length: partitions }, (_, p) => sender(p)));

    const failoverMs: number[] = [];
    const controlledShutdownMs: number[] = [];
    let doubleKills = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        const before = ackedCount();
        await waitFor(() => ackedCount() >= before + 10 * BATCH, {
          timeoutMs: 30_000,
          what: `acks flowing before the kill (round ${round})`,
        });
        const current = await states();
        const leaders = current.map((s) => s!.leader);
        if (controlledShutdownEvery > 0 && (round + 1) % controlledShutdownEvery === 0) {
          const victim = leaders[Math.floor(random() * partitions)]!;
          const led = leaders.flatMap((leader, p) => (leader === victim ? [p] : []));
          const stoppedAt = Date.now();
          timeline({ event: 'round', round: round + 1, victim, led, leaders, controlled: true });
          await stopBroker(victim, 'SIGTERM');
          const exitedAt = Date.now();
          await waitFor(() => led.every((p) => acked[p]!.some((a) => a.sentAt > exitedAt)), {
            timeoutMs: 30_000,
            what: `acks again on partitions ${led.join(',')} after stopping their leader ${victim} (round ${round})`,
          });
          // The partitions were unavailable for as long as the slowest send that overlapped the
          // shutdown: each partition's sender waits for one send before starting the next.
          const unavailable = Math.max(
            0,
            ...led.flatMap((p) =>
              acked[p]!.filter((a) => a.at > stoppedAt && a.sentAt <= exitedAt).map((a) => a.at - a.sentAt),
            ),
          );
          controlledShutdownMs.push(unavailable);
          timeline({ event: 'controlled', round: round + 1, victim, led, stoppedAt, exitedAt, unavailable });
          await launch(victim);
          await waitFor(fullIsrs, {
            timeoutMs: 60_000,
            what: `broker ${victim} back in every ISR (round ${round})`,
          });
          say(
            `chaos[${kind}]: round ${round + 1}/${rounds}: stopped broker ${victim} with SIGTERM (leader of ` +
              `${led.join(',')}; controlled shutdown took ${exitedAt - stoppedAt} ms, longest send ` +
              `${unavailable} ms), acknowledged so far ${ackedCount()}`,
          );
          continue;
        }
        const victim =
          random() < 2 / 3 ? leaders[Math.floor(random() * partitions)]! : 1 + Math.floor(random() * 3);
        const led = leaders.flatMap((leader, p) => (leader === victim ? [p] : []));
        const killedAt = Date.now();
        timeline({ event: 'round', round: round + 1, victim, led, leaders });
        await stopBroker(victim, 'SIGKILL');
        await waitFor(async () => (await state.readBroker(victim)) === null, {
          timeoutMs: 20_000,
          what: `broker ${victim}'s registration to expire (round ${round})`,
        });
        if (led.length > 0)
          await waitFor(() => led.every((p) => acked[p]!.some((a) => a.sentAt > killedAt)), {
            timeoutMs: 30_000,
            what: `acks again on partitions ${led.join(',')} after killing their leader ${victim} (round ${round})`,
          });
        const failover =
          led.length === 0
            ? undefined
            : Math.max(...led.map((p) => acked[p]!.find((a) => a.sentAt > killedAt)!.at - killedAt));
        if (failover !== undefined) failoverMs.push(failover);
        timeline({ event: 'failover', round: round + 1, victim, led, killedAt, failoverMs: failover });
        // Sometimes a second broker dies before the first is back: only one replica is left, below
        // min.insync.replicas, so nothing may be acknowledged until one returns.
        let second: number | undefined;
        if (random() < doubleKillRate) {
          const live = [...brokers.keys()].sort((a, b) => a - b);
          second = live[Math.floor(random() * live.length)]!;
          await stopBroker(second, 'SIGKILL');
          doubleKills++;
          await waitFor(async () => (await state.readBroker(second!)) === null, {
            timeoutMs: 20_000,
            what: `broker ${second}'s registration to expire (round ${round})`,
          });
        }
        const restarted = second === undefined ? [victim] : [victim, second];
        await Promise.all(restarted.map((id) => launch(id)));
        await waitFor(fullIsrs, {
          timeoutMs: 60_000,
          what: `broker(s) ${restarted.join(',')} back in every ISR (round ${round})`,
        });
        say(
          `chaos[${kind}]: round ${round + 1}/${rounds}: killed broker ${victim}` +
            (led.length > 0 ? ` (leader of ${led.join(',')}; acks again after ${failover} ms)` : '') +
            (second !== undefined ? `, then broker ${second} too (one replica left)` : '') +
            `, acknowledged so far ${ackedCount()}`,
        );
      }
    } finally {
      stop = true;
      await sending;
      await producer.disconnect();
    }

    const consumed = await runToEnd(
      'kcat',
      [
        '-C',
        '-b',
        ports.map((p) => `127.0.0.1:${p}`).join(','),
        '-t',
        topic,
        '-e',
        '-o',
        'beginning',
        '-q',
        '-f',
        '%p %o %s\n',
      ],
      { timeoutMs: 120_000 },
    );
    const logs: Map<number, string>[] = Array.from({ length: partitions }, () => new Map());
    const seen = new Set<string>();
    let duplicated = 0;
    for (const line of consumed.stdout.split('\n').filter((l) => l.length > 0)) {
      const [partition, offset, value] = line.split(' ') as [string, string, string];
      logs[Number(partition)]!.set(Number(offset), value);
      if (seen.has(value)) duplicated++;
      else seen.add(value);
    }
    let lost = 0;
    let misplaced = 0;
    let outOfOrder = 0;
    const lostExamples: string[] = [];
    const misplacedExamples: string[] = [];
    for (let p = 0; p < partitions; p++) {
      const offsetOf = new Map<string, number>();
      for (const [offset, value] of logs[p]!) if (!offsetOf.has(value)) offsetOf.set(value, offset);
      let last = -1;
      for (const record of acked[p]!) {
        // A producer retry may have appended an earlier copy too; the acknowledged one is at its offset.
        const at = logs[p]!.get(record.offset) === record.value ? record.offset : offsetOf.get(record.value);
        if (at === undefined) {
          lost++;
          if (lostExamples.length < 5) lostExamples.push(`${record.value}@${p}/${record.offset}`);
          continue;
        }
        if (at !== record.offset) {
          misplaced++;
          if (misplacedExamples.length < 5)
            misplacedExamples.push(`${record.value}@${p}/${record.offset}→${at}`);
        }
        if (at < last) outOfOrder++;
        last = Math.max(last, at);
      }
    }
    return {
      coordinator: kind,
      seed,
      rounds,
      acknowledged: ackedCount(),
      lost,
      misplaced,
      outOfOrder,
      duplicated,
      failedSends,
      doubleKills,
      failoverMs,
      controlledShutdownMs,
      runtimeMs: Date.now() - started,
      lostExamples,
      misplacedExamples,
    };
  } finally {
    await Promise.all(
      [...brokers].map(async ([id, broker]) => {
        await broker.kill('SIGKILL');
        await keepLog(id, broker);
      }),
    );
    await session?.close();
    await coordinator?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeResult(r: NoAckedLossResult): string {
  return (
    `chaos[${r.coordinator}] seed ${r.seed}: ${r.rounds} rounds (${r.doubleKills} with two brokers down, ` +
    `${r.controlledShutdownMs.length} controlled shutdowns) in ${(r.runtimeMs / 1000).toFixed(1)} s; ` +
    `acknowledged ${r.acknowledged}, lost ${r.lost}, misplaced ${r.misplaced}, out of order ${r.outOfOrder}, ` +
    `duplicated ${r.duplicated}, failed sends ${r.failedSends}; leader failover after SIGKILL ` +
    `${spread(r.failoverMs)}; unavailability in a controlled shutdown ${spread(r.controlledShutdownMs)}` +
    (r.lostExamples.length > 0 ? `; lost e.g. ${r.lostExamples.join(' ')}` : '') +
    (r.misplacedExamples.length > 0 ? `; misplaced e.g. ${r.misplacedExamples.join(' ')}` : '')
  );
}

/** "median M ms, max X ms (n=N)", or "-" when nothing was measured. */
function spread(values: readonly number[]): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms (n=${sorted.length})`;
}

/** CHAOS_SEED if set (to replay a run), else a fresh one — printed either way. */
export function chaosSeed(): number {
  const fromEnv = process.env.CHAOS_SEED;
  return fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}
