/**
 * Consume throughput of the sluice ZooKeeper-group Consumer (library, run/eachBatch): one
 * `sluice broker` process, 100-byte records produced first with kcat (not timed), one group member
 * reading from the earliest offset to the end. Printed beside the loopback ceiling and kcat reading
 * the same data in the same run.
 *
 *   npx tsx bench/consume-sluice.ts [--records N] [--partitions P]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer } from '../consumer/consumer.js';
import { startSingleBroker } from '../test/support/single-broker.js';
import {
  createTopic,
  kcatConsumerArgs,
  kcatProducerArgs,
  measureLoopback,
  numberArg,
  printThroughput,
  runKcat,
  writeRecordFile,
  type ThroughputResult,
} from './broker-bench-support.js';

const MiB = 1024 * 1024;
const SIZE = 100;
const records = numberArg('records', 1_000_000);
const partitions = numberArg('partitions', 1);

const cluster = await startSingleBroker();
const results: ThroughputResult[] = [];
try {
  const loopbackMbPerSec = await measureLoopback();
  const topic = 'bench-consume-sluice';
  await createTopic(cluster.bootstrap, topic, partitions);
  const scratch = await mkdtemp(join(tmpdir(), 'sluice-bench-consume-'));
  const file = await writeRecordFile(scratch, SIZE, records);
  await runKcat(kcatProducerArgs(cluster.bootstrap, topic, file));

  const kcat = await runKcat(kcatConsumerArgs(cluster.bootstrap, topic));
  if (kcat.stdoutBytes !== records) throw new Error(`kcat consumed ${kcat.stdoutBytes} of ${records}`);

  const consumer = new Consumer({
    zookeeper: cluster.zookeeper.connectionString,
    groupId: 'bench',
    topics: [topic],
    autoOffsetReset: 'earliest',
    partitionMaxBytes: 8 * MiB,
    maxBufferedBytesPerPartition: 32 * MiB,
  });
  const joinStart = performance.now();
  let firstAt = 0;
  let count = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const running = consumer.run({
    eachBatch: ({ records: batch }) => {
      if (count === 0) firstAt = performance.now();
      count += batch.length;
      if (count >= records) done();
    },
  });
  await finished;
  const seconds = (performance.now() - firstAt) / 1000;
  const withJoin = (performance.now() - joinStart) / 1000;
  await consumer.close();
  await running;
  if (count !== records) throw new Error(`consumer got ${count} of ${records}`);
  for (const [name, s] of [
    [`sluice Consumer ${SIZE} B (${partitions}p)`, seconds],
    [`sluice Consumer incl. join`, withJoin],
    [`kcat consume ${SIZE} B (${partitions}p)`, kcat.seconds],
  ] as const) {
    const mbPerSec = (records * SIZE) / MiB / s;
    results.push({
      bench: 'consume-sluice',
      name,
      recordSize: SIZE,
      records,
      seconds: s,
      recordsPerSec: records / s,
      mbPerSec,
      loopbackMbPerSec,
      diskMbPerSec: Number.NaN,
      fractionOfDisk: Number.NaN,
    });
  }
  await rm(scratch, { recursive: true, force: true });
} finally {
  await cluster.close();
}
printThroughput(results);
process.exit(0);
