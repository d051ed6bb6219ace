/**
 * Consume throughput: kcat (librdkafka 2.0.2) reading from the beginning to the end of a partition of
 * one `sluice broker` process, 100-byte and 1 KiB records, next to the loopback and disk ceilings
 * measured in the same run. The data is produced first (with kcat, not timed).
 *
 * Each row also gives the CPU seconds the broker and kcat spent during the timed read, as a share of
 * the wall time — the process near 100% (one core; the broker's main thread) is the bottleneck — and
 * the share of it the broker's main thread spent runnable but waiting for a CPU (other work on a
 * shared machine: then neither process is the bottleneck, the machine is).
 *
 *   npx tsx bench/consume.ts [--records-100 N] [--records-1k N] [--partitions P]
 */
import {
  createTopic,
  kcatConsumerArgs,
  kcatProducerArgs,
  measureDisk,
  measureLoopback,
  numberArg,
  printThroughput,
  runKcat,
  startBenchBroker,
  throughputResult,
  writeRecordFile,
  type ThroughputResult,
} from './broker-bench-support.js';

const partitions = numberArg('partitions', 1);
const cases = [
  { size: 100, records: numberArg('records-100', 2_000_000) },
  { size: 1024, records: numberArg('records-1k', 300_000) },
];

const broker = await startBenchBroker();
const results: ThroughputResult[] = [];
const cpu: Array<{
  name: string;
  brokerCpuShare: number;
  brokerRunQueueShare: number;
  kcatCpuShare: number;
}> = [];
try {
  const loopbackMbPerSec = await measureLoopback();
  for (const { size, records } of cases) {
    const topic = `bench-consume-${size}`;
    const file = await writeRecordFile(broker.dataDir, size, records);
    await createTopic(broker.bootstrap, topic, partitions);
    await runKcat(kcatProducerArgs(broker.bootstrap, topic, file));
    const diskMbPerSec = await measureDisk(broker.dataDir, records * size);
    // One byte of output per record: kcat's formatting stays cheap and the count is checked.
    const brokerCpuBefore = broker.cpuSeconds();
    const brokerWaitBefore = broker.runQueueSeconds();
    const run = await runKcat(
      kcatConsumerArgs(broker.bootstrap, topic, [
        '-X',
        'fetch.max.bytes=52428800',
        '-X',
        'max.partition.fetch.bytes=16777216',
        '-X',
        'queued.min.messages=1000000',
        '-X',
        'fetch.wait.max.ms=100',
      ]),
    );
    const brokerCpu = broker.cpuSeconds() - brokerCpuBefore;
    const brokerWait = broker.runQueueSeconds() - brokerWaitBefore;
    if (run.stdoutBytes !== records)
      throw new Error(`${topic}: consumed ${run.stdoutBytes} of ${records} records`);
    cpu.push({
      name: `kcat consume ${size} B (${partitions}p)`,
      brokerCpuShare: brokerCpu / run.seconds,
      brokerRunQueueShare: brokerWait / run.seconds,
      kcatCpuShare: run.cpuSeconds / run.seconds,
    });
    results.push(
      throughputResult({
        bench: 'consume',
        name: `kcat consume ${size} B (${partitions}p)`,
        recordSize: size,
        records,
        seconds: run.seconds,
        loopbackMbPerSec,
        diskMbPerSec,
      }),
    );
  }
} finally {
  await broker.close();
}
printThroughput(results);
for (const c of cpu) {
  console.log(
    `${c.name}: broker CPU ${(c.brokerCpuShare * 100).toFixed(0)}% of wall time (main thread waiting for a CPU ${(c.brokerRunQueueShare * 100).toFixed(0)}%), kcat CPU ${(c.kcatCpuShare * 100).toFixed(0)}%`,
  );
  console.log(JSON.stringify({ bench: 'consume-cpu', ...c }));
}
