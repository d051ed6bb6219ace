import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';
import {
  fillTopic,
  floodConnections,
  greedyFetchers,
  MiB,
  sampleRss,
  sendPartialFrames,
  trickleConnections,
  vmRssBytes,
} from '../support/hostile-load.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicWithLeaders } from '../support/topic-with-leader.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile clients against a real broker process (raw sockets built on protocol/), each while a
 * well-behaved kcat producer and consumer run and must see no error. The broker's RSS is read from
 * /proc and held to bounds derived from its configured limits.
 */

/** queued.max.request.bytes: the broker's default (256 MiB). */
const POOL_BYTES = 256 * MiB;
const FRAME_BYTES = 100 * MiB; // socket.request.max.bytes default
const MAX_CONNECTIONS = 100;
const PER_IP = 10;
const READ_DEADLINE_MS = 3_000;
/** What a Node broker may add on top of what a load is allowed to hold (GC lag, socket buffers). */
const HEADROOM_BYTES = 96 * MiB;

describe('hostile clients: bounded memory and connections, well-behaved clients unharmed', () => {
  let broker: SingleBroker;
  let pid: number;
  let round = 0;

  /** kcat produces 200 records and consumes them back; no error on either side. */
  async function kcatStillWorks(): Promise<void> {
    round++;
    const values = Array.from({ length: 200 }, (_, i) => `round-${round}-${i}`);
    const produced = await runToEnd(
      'kcat',
      ['-P', '-b', broker.bootstrap, '-t', 'bystander', '-p', '0', '-X', 'acks=all'],
      { input: values.join('\n') + '\n', timeoutMs: 60_000 },
    );
    expect(produced.stderr).not.toMatch(/ERROR|FAIL/);
    const consumed = await runToEnd(
      'kcat',
      ['-C', '-b', broker.bootstrap, '-t', 'bystander', '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n'],
      { timeoutMs: 60_000 },
    );
    expect(consumed.stderr).not.toMatch(/ERROR|FAIL/);
    const lines = new Set(consumed.stdout.split('\n'));
    expect(values.filter((v) => !lines.has(v))).toEqual([]);
  }

  beforeAll(async () => {
    broker = await startSingleBroker({
      overrides: {
        'max.connections': String(MAX_CONNECTIONS),
        'max.connections.per.ip': String(PER_IP),
        // Everyone else (kcat, this test) connects from 127.0.0.1; floods come from 127.0.0.2/3.
        'max.connections.per.ip.overrides': '127.0.0.1:1000,127.0.0.3:1000',
        'sluice.request.read.timeout.ms': String(READ_DEADLINE_MS),
      },
    });
    pid = broker.process.child.pid!;
    const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
    try {
      for (const name of ['bystander', 'bulk']) {
        await createTopicWithLeaders(admin, { name, numPartitions: 1, replicationFactor: 1 });
      }
    } finally {
      await admin.close();
    }
    await kcatStillWorks();
  });

  afterAll(async () => {
    await broker?.close();
  });

  it('closes a connection announcing a frame above socket.request.max.bytes', async () => {
    const connection = await RawKafkaConnection.open(broker.port);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(FRAME_BYTES + 1, 0);
    connection.writeRaw(prefix);
    await connection.closed;
    await kcatStillWorks();
  });

  it('8 sockets trickling 95 MiB of 100 MiB frames: the pool pauses reading, RSS stays bounded', async () => {
    const before = vmRssBytes(pid);
    const rss = sampleRss(pid);
    const load = await sendPartialFrames(broker.port, {
      connections: 8,
      frameBytes: FRAME_BYTES,
      sendBytes: 95 * MiB,
    });
    try {
      // The pool holds two 100 MiB frames (256 MiB); those two connections are read to the end…
      await waitFor(() => load.finished() >= 2, { timeoutMs: 60_000, what: 'two frames read' });
      await kcatStillWorks();
      const peak = rss.stop();
      // …the other six are not read (their bytes wait in their own buffers), however long it takes.
      expect(load.finished()).toBe(2);
      expect(load.flushed().filter((bytes) => bytes < 95 * MiB)).toHaveLength(6);
      expect(peak - before).toBeLessThan(POOL_BYTES + HEADROOM_BYTES);
    } finally {
      rss.stop();
      load.close();
    }
    await kcatStillWorks();
  });

  it('10 fetchers asking 2^31-1 bytes: responses are streamed, RSS stays bounded', async () => {
    await fillTopic(broker.port, 'bulk', 80 * MiB);
    const before = vmRssBytes(pid);
    const rss = sampleRss(pid);
    const fetchers = await greedyFetchers(broker.port, 'bulk', 10);
    try {
      // The fetchers read nothing while kcat runs: the broker holds what it built for them.
      await kcatStillWorks();
      const sizes = await fetchers.readAll();
      const peak = rss.stop();
      // Each answer is the broker's cap (55 MiB of whole batches), identical for all ten.
      expect(new Set(sizes).size).toBe(1);
      expect(sizes[0]).toBeGreaterThan(50 * MiB);
      expect(peak - before).toBeLessThan(HEADROOM_BYTES);
    } finally {
      rss.stop();
      fetchers.close();
    }
  });

  it('a flood past max.connections.per.ip is closed; kcat keeps working', async () => {
    const flood = await floodConnections(broker.port, { count: 30, localAddress: '127.0.0.2' });
    try {
      expect(flood.answered).toBe(PER_IP);
      expect(flood.closed).toBe(30 - PER_IP);
      await kcatStillWorks();
    } finally {
      flood.close();
    }
  });

  it('a flood past max.connections is closed; connections already open are served', async () => {
    const existing = await RawKafkaConnection.open(broker.port);
    const flood = await floodConnections(broker.port, {
      count: MAX_CONNECTIONS + 20,
      localAddress: '127.0.0.3',
    });
    try {
      expect(flood.answered).toBeLessThan(MAX_CONNECTIONS);
      expect(flood.closed).toBeGreaterThanOrEqual(20);
      const response = await existing.request(18, 3, {
        clientSoftwareName: 'existing',
        clientSoftwareVersion: '1',
      });
      expect(response.errorCode).toBe(0);
    } finally {
      flood.close();
      existing.close();
    }
    // Slots free again once the flood is gone.
    await waitFor(async () => kcatStillWorks().then(() => true), {
      timeoutMs: 30_000,
      what: 'kcat after the flood',
    });
  });

  it('slowloris: 50 connections sending 1 byte per 100 ms are closed by the read deadline', async () => {
    const trickle = await trickleConnections(broker.port, { count: 50, intervalMs: 100 });
    try {
      await kcatStillWorks();
      await waitFor(() => trickle.open() === 0, {
        timeoutMs: READ_DEADLINE_MS + 10_000,
        what: 'every trickling connection closed',
      });
    } finally {
      trickle.stop();
    }
  });
});
