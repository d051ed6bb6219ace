/**
 * Produce throughput of the sluice producer beside kcat (librdkafka 2.0.2), same broker process, same
 * run: 100-byte records, acks=1, no compression, one partition by default. kcat reads its records from
 * a file; the sluice producer sends the same number of 100-byte values from memory. Every record must
 * be in the log (end offsets checked) for a row to count.
 *
 *   npx tsx bench/produce-sluice.ts [--records N] [--partitions P] [--rounds R]
 */
import { Producer } from '../producer/producer.js';
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
import { sendFlatOut } from './producer-flat-out.js';

const MiB = 1024 * 1024;
const SIZE = 100;
const records = numberArg('records', 1_000_000);
const partitions = numberArg('partitions', 1);
const rounds = numberArg('rounds', 1);

/** Sends `count` records, keeping at most the buffer's worth outstanding (back-pressure), all acked. */
async function sluiceProduce(
  bootstrap: string,
  topic: string,
  count: number,
  idempotent: boolean,
): Promise<number> {
  const producer = new Producer({
    bootstrapServers: [bootstrap],
    acks: 1,
    idempotent,
    lingerMs: 5,
    // The same batch size kcat is given (librdkafka batch.size=1000000).
    batchSize: 1_000_000,
    maxRequestSize: 1_048_576,
    bufferMemory: 64 * MiB,
  });
  return sendFlatOut(producer, topic, count, SIZE);
}

const broker = await startBenchBroker();
const results: ThroughputResult[] = [];
try {
  const loopbackMbPerSec = await measureLoopback();
  const diskMbPerSec = await measureDisk(broker.dataDir, records * SIZE);
  const file = await writeRecordFile(broker.dataDir, SIZE, records);
  const row = (name: string, seconds: number): ThroughputResult =>
    throughputResult({
      bench: 'produce',
      name,
      recordSize: SIZE,
      records,
      seconds,
      loopbackMbPerSec,
      diskMbPerSec,
    });
  for (let round = 0; round < rounds; round++) {
    const runs: Array<[string, (topic: string) => Promise<number>]> = [
      [
        'kcat',
        async (topic) => {
          const run = await runKcat(kcatProducerArgs(broker.bootstrap, topic, file));
          assertKcatClean(run);
          return run.seconds;
        },
      ],
      ['sluice producer', (topic) => sluiceProduce(broker.bootstrap, topic, records, false)],
      ['sluice producer idempotent', (topic) => sluiceProduce(broker.bootstrap, topic, records, true)],
    ];
    for (const [name, run] of runs) {
      const topic = `bench-${name.replace(/\s+/g, '-')}-${round}`;
      await createTopic(broker.bootstrap, topic, partitions);
      let seconds: number;
      try {
        seconds = await run(topic);
      } catch (error) {
        console.error(`${name}: ${(error as Error).message}`);
        continue;
      }
      const stored = await storedRecords(broker.bootstrap, topic);
      if (stored !== records) throw new Error(`${name}: ${stored} records stored, ${records} produced`);
      results.push(row(`${name} ${SIZE} B acks=1 (${partitions}p)`, seconds));
    }
  }
} finally {
  await broker.close();
}
printThroughput(results);
const kcat = results.filter((r) => r.name.startsWith('kcat'));
const sluice = results.filter((r) => r.name.startsWith('sluice producer 100'));
if (kcat.length > 0 && sluice.length > 0) {
  const best = (rows: ThroughputResult[]) => Math.max(...rows.map((r) => r.recordsPerSec));
  console.log(`sluice producer / kcat = ${((best(sluice) / best(kcat)) * 100).toFixed(0)}%`);
}
