import { performance } from 'node:perf_hooks';
import type { Producer } from '../producer/producer.js';

/**
 * Sends `count` records of `size` bytes as fast as `producer` takes them, keeping at most its buffer's
 * worth outstanding (back-pressure), then waits until every one is acknowledged. Returns the seconds
 * taken; throws the first delivery error. Connects first (and learns the topic) so that only sending
 * is timed; closes the producer afterwards.
 */
export async function sendFlatOut(
  producer: Producer,
  topic: string,
  count: number,
  size: number,
): Promise<number> {
  await producer.connect();
  await producer.partitionsFor(topic);
  const value = Buffer.alloc(size, 0x61);
  let failed: unknown;
  const onDelivery = (error: Error | null) => {
    if (error) failed ??= error;
  };
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    // An application loop yields now and then (as a stream reader does), letting the sender run.
    if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (!producer.hasRoom) await producer.whenRoom();
    producer.produce({ topic, value }, onDelivery);
  }
  await producer.flush();
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  if (failed) throw failed;
  return seconds;
}
