import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { KafkaConnection, parseAddress } from '../../client/kafka-connection.js';
import { CompressionCodec } from '../../protocol/compression-codec.js';
import { storedBatches } from '../support/fetch-partition.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * kcat (librdkafka 2.0.2) against a real `sluice broker` process: 100,000 keyed messages with headers
 * per compression codec, stored in the codec kcat was asked for (librdkafka 2.0.2 enables gzip,
 * snappy and lz4 only when the broker's Produce range starts at v0, else it sends them uncompressed),
 * consumed back byte-identical, in order within each partition.
 */

const MESSAGES = 100_000;
const PARTITIONS = 3;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
// Printable ASCII without ':' (the key separator), tab (our output separator) and newline, plus
// multi-byte UTF-8, so the comparison covers more than ASCII.
const ALPHABET = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !"#$%&()*+,-./;<=>?@[]^_{|}~',
  'é',
  'ß',
  '€',
  '雪',
];

const CODEC_IDS: Record<(typeof CODECS)[number], CompressionCodec> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
};

let broker: SingleBroker;

/** The codec of every batch stored in the topic, read with raw Fetch v12 requests (partition order). */
async function storedCodecs(topic: string): Promise<CompressionCodec[]> {
  const connection = await KafkaConnection.connect(parseAddress(broker.bootstrap));
  try {
    const codecs: CompressionCodec[] = [];
    for (let partition = 0; partition < PARTITIONS; partition++) {
      codecs.push(...(await storedBatches(connection, topic, partition)).map((b) => b.codec));
    }
    return codecs;
  } finally {
    connection.close();
  }
}

beforeAll(async () => {
  broker = await startSingleBroker({ overrides: { 'num.partitions': String(PARTITIONS) } });
  // Topics exist (with leaders) before kcat starts, so the runs measure data handling, not auto-creation.
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  try {
    const results = await admin.createTopics(
      CODECS.map((c) => ({ name: `kcat-${c}`, numPartitions: PARTITIONS })),
    );
    expect(results.filter((r) => r.error)).toEqual([]);
    await waitFor(
      async () => {
        const metadata = await admin.client.refreshMetadata(CODECS.map((c) => `kcat-${c}`));
        return [...metadata.topics.values()].every(
          (t) => t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader === 1),
        );
      },
      { timeoutMs: 20_000, what: 'leaders for the kcat topics' },
    );
  } finally {
    await admin.close();
  }
});

afterAll(async () => {
  await broker?.close();
});

/** Deterministic pseudo-random values of varied length (10–300 characters). */
function messageLines(seed: number): { key: string; value: string }[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  return Array.from({ length: MESSAGES }, (_, i) => {
    const length = 10 + Math.floor(next() * 290);
    let value = `v${i}-`;
    // Repetitive runs make the codecs actually compress something.
    while (value.length < length)
      value += ALPHABET[Math.floor(next() * ALPHABET.length)]!.repeat(1 + Math.floor(next() * 4));
    return { key: `key-${i}`, value };
  });
}

describe('kcat produces and consumes through sluice with every codec', () => {
  it.each(CODECS)(
    'codec %s: 100,000 messages with keys, values and headers stored in that codec, round-trip byte-identical',
    async (codec) => {
      const topic = `kcat-${codec}`;
      const messages = messageLines(CODECS.indexOf(codec) + 7);
      const input = messages.map((m) => `${m.key}:${m.value}\n`).join('');
      const produced = await runToEnd(
        'kcat',
        [
          '-P',
          '-b',
          broker.bootstrap,
          '-t',
          topic,
          '-z',
          codec,
          '-K:',
          '-H',
          'app=sluice-test',
          '-H',
          `codec=${codec}`,
          '-X',
          'linger.ms=20',
        ],
        { input, timeoutMs: 60_000 },
      );
      expect(produced.stderr).not.toMatch(/fail|error/i);

      const codecs = await storedCodecs(topic);
      expect(codecs.length).toBeGreaterThanOrEqual(PARTITIONS);
      expect(new Set(codecs)).toEqual(new Set([CODEC_IDS[codec]]));

      const consumed = await runToEnd(
        'kcat',
        [
          '-C',
          '-b',
          broker.bootstrap,
          '-t',
          topic,
          '-e',
          '-o',
          'beginning',
          '-q',
          '-f',
          '%p\t%o\t%k\t%s\t%h\n',
        ],
        { timeoutMs: 60_000 },
      );
      const lines = consumed.stdout.split('\n').filter((l) => l.length > 0);
      expect(lines.length).toBe(MESSAGES);

      // Plain checks in the loop (600,000 expect() calls would dominate the runtime); one assertion after.
      const problems: string[] = [];
      const producedIndex = new Map(messages.map((m, i) => [m.key, i]));
      const lastIndex = new Map<number, number>();
      const nextOffset = new Map<number, number>();
      const seen = new Set<string>();
      for (const line of lines) {
        if (problems.length > 10) break;
        const [partition, offset, key, value, headers] = line.split('\t') as [
          string,
          string,
          string,
          string,
          string,
        ];
        const index = producedIndex.get(key);
        if (index === undefined) {
          problems.push(`unknown key in ${JSON.stringify(line.slice(0, 80))}`);
          continue;
        }
        if (value !== messages[index]!.value) problems.push(`${key}: value differs`);
        if (headers !== `app=sluice-test,codec=${codec}`) problems.push(`${key}: headers ${headers}`);
        if (seen.has(key)) problems.push(`${key}: consumed twice`);
        seen.add(key);
        const p = Number(partition);
        // Offsets dense from 0, and records in produce order within each partition.
        if (Number(offset) !== (nextOffset.get(p) ?? 0))
          problems.push(`${key}: offset ${offset} in partition ${p}`);
        nextOffset.set(p, Number(offset) + 1);
        if (index <= (lastIndex.get(p) ?? -1)) problems.push(`${key}: out of order in partition ${p}`);
        lastIndex.set(p, index);
      }
      expect(problems).toEqual([]);
      expect(seen.size).toBe(MESSAGES);
      expect(nextOffset.size).toBe(PARTITIONS);
    },
    90_000,
  );

  it('kcat -L lists the broker, the topics and their partitions', async () => {
    const { stdout } = await runToEnd('kcat', ['-L', '-J', '-b', broker.bootstrap]);
    const metadata = JSON.parse(stdout) as {
      brokers: { id: number; name: string }[];
      topics: {
        topic: string;
        partitions: {
          partition: number;
          leader: number;
          replicas: { id: number }[];
          isrs: { id: number }[];
        }[];
      }[];
    };
    expect(metadata.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    const topics = metadata.topics.map((t) => t.topic).sort();
    expect(topics).toEqual(CODECS.map((c) => `kcat-${c}`).sort());
    for (const topic of metadata.topics) {
      expect(topic.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
      for (const p of topic.partitions) {
        expect(p.leader).toBe(1);
        expect(p.replicas.map((r) => r.id)).toEqual([1]);
        expect(p.isrs.map((r) => r.id)).toEqual([1]);
      }
    }
  });
});
