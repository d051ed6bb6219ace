/**
 * Produce throughput: kcat (librdkafka 2.0.2) → one `sluice broker` process, acks=1, no compression,
 * 100-byte and 1 KiB records, printed next to the loopback and disk ceilings measured in the same run.
 * Then the same records and kcat settings with acks=all into a 3-broker cluster, topic RF=3 and
 * min.insync.replicas=2, each row with its ratio to the single-broker acks=1 row (target ≥ 40%).
 *
 *   npx tsx bench/produce.ts [--records-100 N] [--records-1k N] [--partitions P]
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

async function measure(target: Target, size: number, records: number, loopbackMbPerSec: number) {
  const topic = `bench-produce-${size}`;
  const file = await writeRecordFile(target.dataDir, size, records);
  await target.createTopic(topic);
  const diskMbPerSec = await measureDisk(target.dataDir, records * size);
  // Same settings as the single-broker rows; only acks differs.
  const args = kcatProducerArgs(target.bootstrap, topic, file).map((a) =>
    a === 'acks=1' ? `acks=${target.acks}` : a,
  );
  const run = await runKcat(args);
  assertKcatClean(run);
  // Every record must have landed: the run counts only if the log holds all of them.
  const stored = await storedRecords(target.bootstrap, topic);
  if (stored !== records) throw new Error(`${topic}: ${stored} records stored, ${records} produced`);
  const result: ProduceResult = throughputResult({
    bench: 'produce',
    name: `kcat produce ${size} B ${target.label} (${partitions}p)`,
    recordSize: size,
    records,
    seconds: run.seconds,
    loopbackMbPerSec,
    diskMbPerSec,
  });
  return result;
}

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
  for (const { size, records } of cases) results.push(await measure(single, size, records, loopbackMbPerSec));
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
    const result = await measure(replicated, size, records, loopbackMbPerSec);
    const baseline = results.find((r) => r.recordSize === size && r.ratioToSingleBroker === undefined);
    if (baseline) result.ratioToSingleBroker = result.mbPerSec / baseline.mbPerSec;
    result.target = REPLICATED_TARGET;
    results.push(result);
  }
} finally {
  await cluster.close();
}

printThroughput(results);
for (const r of results) {
  if (r.ratioToSingleBroker === undefined) continue;
  const verdict = r.ratioToSingleBroker >= REPLICATED_TARGET ? 'meets' : 'below';
  console.log(
    `${r.name}: ${(r.ratioToSingleBroker * 100).toFixed(0)}% of single-broker acks=1 (target ≥ ${REPLICATED_TARGET * 100}%, ${verdict})`,
  );
}
