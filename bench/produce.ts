/**
 * Produce throughput: kcat (librdkafka 2.0.2) → one `sluice broker` process, acks=1, no compression,
 * 100-byte and 1 KiB records, printed next to the loopback and disk ceilings measured in the same run.
 *
 *   npx tsx bench/produce.ts [--records-100 N] [--records-1k N] [--partitions P]
 */
import { KafkaAdmin } from '../client/admin.js';
import {
  createTopic,
  kcatProducerArgs,
  measureDisk,
  measureLoopback,
  numberArg,
  printThroughput,
  runKcat,
  startBenchBroker,
  writeRecordFile,
  type ThroughputResult,
} from './broker-bench-support.js';

const MiB = 1024 * 1024;
const partitions = numberArg('partitions', 1);
const cases = [
  { size: 100, records: numberArg('records-100', 1_000_000) },
  { size: 1024, records: numberArg('records-1k', 200_000) },
];

const broker = await startBenchBroker();
const results: ThroughputResult[] = [];
try {
  const loopbackMbPerSec = await measureLoopback();
  for (const { size, records } of cases) {
    const topic = `bench-produce-${size}`;
    const file = await writeRecordFile(broker.dataDir, size, records);
    await createTopic(broker.bootstrap, topic, partitions);
    const diskMbPerSec = await measureDisk(broker.dataDir, records * size);
    const run = await runKcat(kcatProducerArgs(broker.bootstrap, topic, file));
    if (/fail|error/i.test(run.stderr)) throw new Error(`kcat reported: ${run.stderr.slice(-500)}`);
    // Every record must have landed: the run counts only if the log holds all of them.
    const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
    const ends = await admin.listOffsets(topic, 'latest');
    await admin.close();
    const stored = [...ends.values()].reduce((sum, o) => sum + Number(o), 0);
    if (stored !== records) throw new Error(`${topic}: ${stored} records stored, ${records} produced`);
    const mbPerSec = (records * size) / MiB / run.seconds;
    results.push({
      bench: 'produce',
      name: `kcat produce ${size} B acks=1 (${partitions}p)`,
      recordSize: size,
      records,
      seconds: run.seconds,
      recordsPerSec: records / run.seconds,
      mbPerSec,
      loopbackMbPerSec,
      diskMbPerSec,
      fractionOfDisk: mbPerSec / diskMbPerSec,
    });
  }
} finally {
  await broker.close();
}
printThroughput(results);
