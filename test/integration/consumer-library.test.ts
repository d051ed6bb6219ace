import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, type ConsumedRecord } from '../../consumer/consumer.js';
import { waitFor } from '../support/wait.js';
import { startGroupCluster, valuesFor, type GroupCluster } from '../support/consumer-test-support.js';

/**
 * The Consumer library against a real broker and coordinator: async iteration, run() with seek,
 * pause/resume and manual commits, and the safety rule that a member cut off from ZooKeeper stops
 * delivering before another member can take its partitions.
 */

const TOPIC = 'lib';

let cluster: GroupCluster;
const consumers: Consumer[] = [];

beforeAll(async () => {
  cluster = await startGroupCluster();
  await cluster.createTopic(TOPIC, 2);
  await cluster.produce(TOPIC, 0, valuesFor('x', 0, 10));
  await cluster.produce(TOPIC, 1, valuesFor('x', 1, 10));
}, 90_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.close()));
  await cluster?.close();
});

function consumer(groupId: string, extra: Partial<ConstructorParameters<typeof Consumer>[0]> = {}): Consumer {
  const c = new Consumer({
    zookeeper: cluster.zookeeper,
    groupId,
    topics: [TOPIC],
    autoOffsetReset: 'earliest',
    autoCommit: false,
    ...extra,
  });
  consumers.push(c);
  return c;
}

const label = (r: ConsumedRecord) => `${r.partition}:${r.offset}`;

describe('Consumer', () => {
  it('iterates from the earliest offset; leaving the loop commits what was consumed', async () => {
    const first = consumer('iterating');
    const got: ConsumedRecord[] = [];
    for await (const record of first) {
      got.push(record);
      if (got.length === 15) break;
    }
    const committed =
      (await cluster.state.readOffset('iterating', { topic: TOPIC, partition: 0 }))! +
      (await cluster.state.readOffset('iterating', { topic: TOPIC, partition: 1 }))!;
    expect(committed).toBe(15n);
    // The next member of the group gets exactly the other five.
    const second = consumer('iterating');
    const rest: ConsumedRecord[] = [];
    for await (const record of second) {
      rest.push(record);
      if (rest.length === 5) break;
    }
    const all = [...got, ...rest].map(label).sort();
    expect(new Set(all).size).toBe(20);
  }, 60_000);

  it('run(): seek inside the handler, pause/resume, manual commit', async () => {
    const c = consumer('operating');
    const got: ConsumedRecord[] = [];
    let sought = false;
    const running = c.run({
      eachMessage: ({ message }) => {
        got.push(message);
        if (!sought && message.partition === 0 && message.offset === 5n) {
          sought = true;
          c.seek({ topic: TOPIC, partition: 0, offset: 2n });
        }
      },
    });
    await waitFor(() => got.filter((r) => r.partition === 0).length === 14 && got.length === 24, {
      what: 'partition 0 re-read from 2 and partition 1 read once',
      timeoutMs: 20_000,
    });
    expect(got.filter((r) => r.partition === 0).map((r) => Number(r.offset))).toEqual([
      0, 1, 2, 3, 4, 5, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);

    c.pause([{ topic: TOPIC, partition: 1 }]);
    expect(c.paused()).toEqual([{ topic: TOPIC, partition: 1 }]);
    await cluster.produce(TOPIC, 1, valuesFor('y', 1, 3));
    await cluster.produce(TOPIC, 0, valuesFor('y', 0, 3));
    // Partition 0's new records arrive; partition 1's, produced before them, do not while paused.
    await waitFor(() => got.some((r) => r.value?.toString() === 'y-p0-2'), {
      what: 'new partition 0 records',
    });
    expect(got.filter((r) => r.value?.toString().startsWith('y-p1'))).toEqual([]);
    c.resume([{ topic: TOPIC, partition: 1 }]);
    await waitFor(() => got.filter((r) => r.value?.toString().startsWith('y-p1')).length === 3, {
      what: 'partition 1 after resume',
    });

    expect(await cluster.state.readOffset('operating', { topic: TOPIC, partition: 0 })).toBeNull();
    await c.commit();
    expect(await cluster.state.readOffset('operating', { topic: TOPIC, partition: 0 })).toBe(13n);
    expect(await cluster.state.readOffset('operating', { topic: TOPIC, partition: 1 })).toBe(13n);
    await c.close();
    await running;
  }, 60_000);

  it('a member cut off from ZooKeeper stops delivering before another member takes its partition', async () => {
    const proxy = await startFreezableProxy(cluster.zookeeper);
    try {
      const cut = consumer('cut', { zookeeper: proxy.address, sessionTimeoutMs: 3_000 });
      const other = consumer('cut', { sessionTimeoutMs: 3_000 });
      const deliveries: Array<{ by: 'cut' | 'other'; at: number; record: ConsumedRecord }> = [];
      const assignedToOther: Array<{ at: number; partition: number }> = [];
      const lostByCut: number[] = [];
      other.on('assigned', (tp) => assignedToOther.push({ at: Date.now(), partition: tp.partition }));
      cut.on('lost', () => lostByCut.push(Date.now()));
      const runs = [
        cut.run({
          eachMessage: ({ message }) => void deliveries.push({ by: 'cut', at: Date.now(), record: message }),
        }),
        other.run({
          eachMessage: ({ message }) =>
            void deliveries.push({ by: 'other', at: Date.now(), record: message }),
        }),
      ];
      await waitFor(() => cut.assignment().length === 1 && other.assignment().length === 1, {
        what: 'one partition each',
        timeoutMs: 20_000,
      });
      const cutPartition = cut.assignment()[0]!.partition;

      // Records keep flowing to both partitions while the member is cut off.
      let producing = true;
      let round = 0;
      const producer = (async () => {
        while (producing) {
          for (const p of [0, 1]) await cluster.produce(TOPIC, p, valuesFor(`z${round}`, p, 20));
          round++;
        }
      })();
      try {
        await waitFor(
          () => deliveries.some((d) => d.by === 'cut' && d.record.value?.toString().startsWith('z')),
          {
            what: 'the cut member consuming new records',
          },
        );
        const frozenAt = Date.now();
        proxy.freeze();
        await waitFor(() => other.assignment().length === 2, {
          what: 'the other member taking over after the session expired',
          timeoutMs: 20_000,
        });
        const takeover = assignedToOther.filter((a) => a.partition === cutPartition && a.at > frozenAt)[0]!;
        const lastByCut = Math.max(...deliveries.filter((d) => d.by === 'cut').map((d) => d.at));
        expect(lastByCut).toBeLessThan(takeover.at);
        // It stopped delivering at half a session timeout; it declares its partitions lost once a whole
        // one has passed without an answer (its watchdog may see that just after the server did).
        await waitFor(() => lostByCut.length > 0, { what: 'the cut member to declare its partition lost' });
        // Quiet before the server could even have expired the session (3 s of silence).
        expect(lastByCut - frozenAt).toBeLessThan(3_000);
        console.log(
          `consumer cut off: last delivery ${lastByCut - frozenAt} ms after the cut, takeover after ${takeover.at - frozenAt} ms`,
        );

        // Back in touch: it rejoins with a new session and the group splits again.
        proxy.thaw();
        await waitFor(() => cut.assignment().length === 1 && other.assignment().length === 1, {
          what: 'the group to split again',
          timeoutMs: 30_000,
        });
      } finally {
        producing = false;
        await producer;
      }
      // At least once: every record produced during the test reaches one of the two members (the
      // last rounds may still be in flight when producing stops, so wait for them before closing).
      const produced: string[] = [];
      for (let r = 0; r < round; r++) for (const p of [0, 1]) produced.push(...valuesFor(`z${r}`, p, 20));
      const missing = () => {
        const seen = new Set(deliveries.map((d) => d.record.value?.toString()));
        return produced.filter((v) => !seen.has(v));
      };
      await waitFor(() => missing().length === 0, {
        what: 'every produced record delivered to a member',
        timeoutMs: 20_000,
      }).catch(() => undefined);
      await Promise.all([cut.close(), other.close()]);
      await Promise.all(runs);
      expect(missing()).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});

interface FreezableProxy {
  address: string;
  /** Stops forwarding in both directions (bytes wait in socket buffers), like a network partition. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of ZooKeeper that can go silent without closing anything. */
async function startFreezableProxy(target: string): Promise<FreezableProxy> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host, port: Number(port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    if (frozen) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    address: `127.0.0.1:${address.port}`,
    freeze() {
      frozen = true;
      for (const s of sockets) s.pause();
    },
    thaw() {
      frozen = false;
      for (const s of sockets) s.resume();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
