/**
 * Produce throughput: kcat (librdkafka 2.0.2) → one `sluice broker` process, acks=1, no compression,
 * 100-byte and 1 KiB records, printed next to the loopback and disk ceilings measured in the same run.
 * Then the same records and kcat settings with acks=all into a 3-broker cluster, topic RF=3 and
 * min.insync.replicas=2, each row with its ratio to the single-broker acks=1 row (target ≥ 40%).
 *
 * kcat settings (kcatProducerArgs), tuned for throughput as Kafka's own producer benchmarks tune the
 * client: `-l FILE` (one record per line, read from a file), linger.ms=5, batch.size=1000000,
 * batch.num.messages=100000, queue.buffering.max.messages=2000000, queue.buffering.max.kbytes=2097151,
 * compression.codec=none, acks=1 (acks=all for the cluster rows); librdkafka defaults otherwise
 * (max.in.flight 1000000, message.max.bytes 1000000, so one partition's request carries ≤ 1 MB).
 *
 * Why this bench once read 544–683k rec/s of 100 B while bench:produce-sluice read 1.55M from kcat:
 * no kcat setting explains it — both call kcatProducerArgs (identical settings, `-l` file input, one
 * partition). Runs of this same bench on this shared 2-core machine spread as widely (165k–779k rec/s
 * within one hour, with the loopback ceiling between 106 and 631 MB/s), so the gap was the machine's
 * load at the time of each run. To make single runs less fragile: the record file is fsynced before
 * timing (its write-back would compete with the broker's writes), each target first takes an untimed
 * warm-up run (the broker's code is compiled on first use), and each case runs --rounds times (every
 * run printed; ratios use the best). Compare the loopback column, measured in the same run.
 *
 * Each timed figure is kcat's whole process time (start-up, metadata and final flush included).
 *
 *   npx tsx bench/produce.ts [--records-100 N] [--records-1k N] [--partitions P] [--rounds R]
 */
import { createReplicatedTopic, startBenchCluster } from './bench-cluster.js';
import {
  assertKcatClean,
  createTopic,
  kcatProducerArgs,
  measureDisk,
  measureLoopback,
  numberArg,
  printThroughput,
  runKcat,
  startBenchBroker,
  storedRecords,
  throughputResult,
  writeRecordFile,
  type ThroughputResult,
} from './broker-bench-support.js';

const REPLICATED_TARGET = 0.4;
const partitions = numberArg('partitions', 1);
const rounds = numberArg('rounds', 2);
const cases = [
  { size: 100, records: numberArg('records-100', 1_000_000) },
  { size: 1024, records: numberArg('records-1k', 200_000) },
];

interface ProduceResult extends ThroughputResult {
  /** Replicated rows: mbPerSec over the single-broker acks=1 row of the same record size. */
  ratioToSingleBroker?: number;
  target?: number;
}

interface Target {
  bootstrap: string;
  dataDir: string;
  acks: '1' | 'all';
  label: string;
  createTopic(topic: string): Promise<void>;
}

async function measure(
  target: Target,
  size: number,
  records: number,
  loopbackMbPerSec: number,
): Promise<ProduceResult[]> {
  const file = await writeRecordFile(target.dataDir, size, records);
  // Same settings as the single-broker rows; only acks differs.
  const kcatArgs = (topic: string, from: string) =>
    kcatProducerArgs(target.bootstrap, topic, from).map((a) => (a === 'acks=1' ? `acks=${target.acks}` : a));
  const warmTopic = `bench-produce-${size}-warmup`;
  await target.createTopic(warmTopic);
  assertKcatClean(await runKcat(kcatArgs(warmTopic, file)));
  const rows: ProduceResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const topic = `bench-produce-${size}-${round}`;
    await target.createTopic(topic);
    const diskMbPerSec = await measureDisk(target.dataDir, records * size);
    const run = await runKcat(kcatArgs(topic, file));
    assertKcatClean(run);
    // Every record must have landed: the run counts only if the log holds all of them.
    const stored = await storedRecords(target.bootstrap, topic);
    if (stored !== records) throw new Error(`${topic}: ${stored} records stored, ${records} produced`);
    rows.push(
      throughputResult({
        bench: 'produce',
        name: `kcat produce ${size} B ${target.label} (${partitions}p)`,
        recordSize: size,
        records,
        seconds: run.seconds,
        loopbackMbPerSec,
        diskMbPerSec,
      }),
    );
  }
  return rows;
}

/** The fastest of a case's rounds (the one least disturbed by other work on the machine). */
const best = (rows: readonly ProduceResult[]) =>
  rows.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));

const results: ProduceResult[] = [];
const loopbackMbPerSec = await measureLoopback();

const broker = await startBenchBroker();
try {
  const single: Target = {
    bootstrap: broker.bootstrap,
    dataDir: broker.dataDir,
    acks: '1',
    label: 'acks=1',
    createTopic: (topic) => createTopic(broker.bootstrap, topic, partitions),
  };
  for (const { size, records } of cases)
    results.push(...(await measure(single, size, records, loopbackMbPerSec)));
} finally {
  await broker.close();
}

const cluster = await startBenchCluster(3, { 'min.insync.replicas': '2' });
try {
  const replicated: Target = {
    bootstrap: cluster.bootstrap,
    dataDir: cluster.brokers[0]!.dataDir,
    acks: 'all',
    label: 'RF=3 acks=all',
    createTopic: (topic) =>
      createReplicatedTopic(cluster.bootstrap, topic, partitions, 3, { 'min.insync.replicas': '2' }),
  };
  for (const { size, records } of cases) {
    const rows = await measure(replicated, size, records, loopbackMbPerSec);
    const singles = results.filter((r) => r.recordSize === size && r.target === undefined);
    for (const row of rows) {
      if (singles.length > 0) row.ratioToSingleBroker = row.mbPerSec / best(singles).mbPerSec;
      row.target = REPLICATED_TARGET;
    }
    results.push(...rows);
  }
} finally {
  await cluster.close();
}

printThroughput(results);
for (const { size } of cases) {
  const replicatedRows = results.filter((r) => r.recordSize === size && r.target !== undefined);
  if (replicatedRows.length === 0) continue;
  const r = best(replicatedRows);
  if (r.ratioToSingleBroker === undefined) continue;
  const verdict = r.ratioToSingleBroker >= REPLICATED_TARGET ? 'meets' : 'below';
  console.log(
    `${r.name}, best of ${replicatedRows.length}: ${(r.ratioToSingleBroker * 100).toFixed(0)}% of the best single-broker acks=1 run (target ≥ ${REPLICATED_TARGET * 100}%, ${verdict})`,
  );
}
