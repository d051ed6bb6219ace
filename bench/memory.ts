/**
 * Broker memory under hostile load: one `sluice broker` process, its RSS sampled from
 * /proc/<pid>/status every 25 ms, printed next to the bound its configuration sets.
 *
 * - produce: 200 connections each sending max-size (socket.request.max.bytes, 100 MiB) Produce
 *   requests back to back for --seconds; bounded by queued.max.request.bytes (the request pool).
 * - fetch: 10 consumers each asking 2^31-1 bytes from the start of an 80 MiB partition, not reading
 *   for --seconds, then reading; bounded by what the broker streams per response (two 1 MiB pieces).
 *
 * A load stops early once the broker passes --rss-ceiling-mib (a broker without bounds would take the
 * machine). SLUICE_BENCH_BROKER_ROOT=<checkout> runs another checkout's broker (before/after).
 *
 *   npx tsx bench/memory.ts [--seconds S] [--connections N] [--rss-ceiling-mib M]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  fillTopic,
  greedyFetchers,
  MiB,
  sampleRss,
  sendMaxSizeProduces,
  vmRssBytes,
} from '../test/support/hostile-load.js';
import { SLICE_PIECE_BYTES } from '../broker/log/record-slice.js';
import { createTopic, numberArg, startBenchBroker } from './broker-bench-support.js';

const seconds = numberArg('seconds', 10);
const connections = numberArg('connections', 200);
const ceiling = numberArg('rss-ceiling-mib', 4096) * MiB;
const POOL_BYTES = 256 * MiB; // queued.max.request.bytes default
const FRAME_BYTES = 100 * MiB; // socket.request.max.bytes default
const FETCHERS = 10;

interface Row {
  load: string;
  baseline: number;
  peak: number;
  bound: string;
  note: string;
}

/** Runs `load` while sampling; stops at `seconds` or when the broker's RSS passes the ceiling. */
async function measure(
  pid: number,
  run: (stopAt: Promise<void>) => Promise<string>,
): Promise<[number, number, string]> {
  const baseline = vmRssBytes(pid);
  const rss = sampleRss(pid);
  const stopAt = (async () => {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end && rss.peak() < ceiling) await sleep(25);
  })();
  const note = await run(stopAt);
  const peak = rss.stop();
  return [baseline, peak, (peak >= ceiling ? `stopped at the ${ceiling / MiB} MiB ceiling; ` : '') + note];
}

const broker = await startBenchBroker();
const port = Number(broker.bootstrap.split(':')[1]);
const rows: Row[] = [];
try {
  await createTopic(broker.bootstrap, 'memory-produce', 1);
  await createTopic(broker.bootstrap, 'memory-fetch', 1);

  const [pBase, pPeak, pNote] = await measure(broker.pid, async (stopAt) => {
    const load = await sendMaxSizeProduces(port, {
      connections,
      frameBytes: FRAME_BYTES - 64,
      topic: 'memory-produce',
    });
    await stopAt;
    load.stop();
    return `${load.framesSent()} frames handed to the kernel`;
  });
  rows.push({
    load: `produce: ${connections} conns × 100 MiB frames, ${seconds} s`,
    baseline: pBase,
    peak: pPeak,
    bound: `pool ${POOL_BYTES / MiB} MiB`,
    note: pNote,
  });
  // Let the broker settle (connections closed, buffers collected) before the next load.
  await sleep(3000);

  await fillTopic(port, 'memory-fetch', 80 * MiB);
  const [fBase, fPeak, fNote] = await measure(broker.pid, async (stopAt) => {
    const fetchers = await greedyFetchers(port, 'memory-fetch', FETCHERS);
    await stopAt;
    const started = performance.now();
    const sizes = await fetchers.readAll();
    fetchers.close();
    const total = sizes.reduce((a, b) => a + b, 0);
    return `${(total / MiB).toFixed(0)} MiB of records read in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  });
  rows.push({
    load: `fetch: ${FETCHERS} fetchers × max_bytes 2^31-1`,
    baseline: fBase,
    peak: fPeak,
    bound: `${FETCHERS} × 2 × ${SLICE_PIECE_BYTES / MiB} MiB pieces`,
    note: fNote,
  });
} finally {
  await broker.close();
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
console.log(`broker: ${process.env.SLUICE_BENCH_BROKER_ROOT ?? 'this checkout'}`);
console.log('| load | RSS before | peak RSS | growth | configured bound | note |');
console.log('|---|---:|---:|---:|---|---|');
for (const row of rows) {
  console.log(
    `| ${row.load} | ${mib(row.baseline)} | ${mib(row.peak)} | ${mib(row.peak - row.baseline)} | ${row.bound} | ${row.note} |`,
  );
}
