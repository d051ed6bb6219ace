import { createRequire } from 'node:module';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DefaultPartitioner } from '../../producer/partitioner.js';
import { murmur2, partitionForKey } from '../../producer/murmur2.js';

/**
 * Keyed records must land where kafkajs's DefaultPartitioner (murmur2, the Java client's algorithm)
 * puts them — for thousands of keys and several partition counts — and kafkajs's own murmur2 must agree
 * with ours bit for bit, strings and arbitrary bytes alike.
 */
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: string | Buffer,
) => number;

type KafkajsPartitioner = (args: {
  topic: string;
  partitionMetadata: Array<{ partitionId: number; leader: number }>;
  message: { key: Buffer | string | null; value: string };
}) => number;

function kafkajsPartition(partitioner: KafkajsPartitioner, key: Buffer, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1 }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
}

describe('murmur2 partitioner parity with kafkajs', () => {
  const partitioner = Partitioners.DefaultPartitioner() as unknown as KafkajsPartitioner;
  const ours = new DefaultPartitioner();

  it.each([1, 3, 7, 12, 50, 1000])(
    '5,000 string keys over %i partitions land on the same partition',
    (count) => {
      for (let i = 0; i < 5000; i++) {
        const key = Buffer.from(`key-${i}-${(i * 2654435761) % 97}`);
        const expected = kafkajsPartition(partitioner, key, count);
        expect(ours.partition({ topic: 't', key, partitionCount: count, availablePartitions: [] })).toBe(
          expected,
        );
      }
    },
  );

  it('arbitrary byte keys (every tail length, high bytes) hash identically', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.integer({ min: 1, max: 500 }),
        (bytes, count) => {
          const key = Buffer.from(bytes);
          expect(murmur2(key)).toBe(kafkajsMurmur2(key));
          expect(partitionForKey(key, count)).toBe(kafkajsPartition(partitioner, key, count));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('matches known Java client values', () => {
    // Values from Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [text, hash] of cases) expect(murmur2(Buffer.from(text))).toBe(hash);
  });
});

describe('sticky partitioner for null keys', () => {
  it('keeps one partition until its batch closes, then moves among available ones', () => {
    const p = new DefaultPartitioner();
    const input = { topic: 't', key: null, partitionCount: 8, availablePartitions: [1, 3, 5] };
    const first = p.partition(input);
    expect([1, 3, 5]).toContain(first);
    for (let i = 0; i < 100; i++) expect(p.partition(input)).toBe(first);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const chosen = p.partition(input);
      seen.add(chosen);
      p.onBatchClosed(input.topic, chosen);
    }
    expect([...seen].sort()).toEqual([1, 3, 5]);
  });
});
