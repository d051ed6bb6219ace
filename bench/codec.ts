/**
 * Kafka codec throughput: a Produce request carrying a 1 MiB records buffer and a Metadata response with
 * 1,000 partitions, encoded and decoded through the declaration-derived codec; plus the record-batch
 * header/CRC-32C validation figures from bench/record-batch.ts.
 *
 *   npx tsx bench/codec.ts [--seconds 1]
 *
 * SLUICE_CODEC_INTERPRET=1 measures the plain-loop struct codecs instead of the generated ones.
 */
import { runRecordBatchBench } from './record-batch.js';
import { printResults, runBench, secondsFromArgs, type BenchResult } from './bench-harness.js';
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeRequestChunks,
  encodeResponse,
  type MetadataResponse,
  type ProduceRequest,
  useInterpretedStructCodecs,
} from '../protocol/index.js';

const MiB = 1024 * 1024;

function produceRequest(): ProduceRequest {
  const records = Buffer.alloc(MiB);
  for (let i = 0; i < records.length; i += 4) records.writeUInt32BE((i * 2654435761) >>> 0, i);
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records }] }],
  };
}

function metadataResponse(partitionCount: number): MetadataResponse {
  const brokers = [1, 2, 3].map((nodeId) => ({
    nodeId,
    host: `broker-${nodeId}.example.internal`,
    port: 9092,
    rack: null,
  }));
  const topics = Array.from({ length: 10 }, (_, t) => ({
    errorCode: 0,
    name: `topic-${t}`,
    isInternal: false,
    partitions: Array.from({ length: partitionCount / 10 }, (_, p) => ({
      errorCode: 0,
      partitionIndex: p,
      leaderId: (p % 3) + 1,
      leaderEpoch: 5,
      replicaNodes: [1, 2, 3],
      isrNodes: [1, 2, 3],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  }));
  return {
    throttleTimeMs: 0,
    brokers,
    clusterId: 'sluice-bench',
    controllerId: 1,
    topics,
    clusterAuthorizedOperations: -2147483648,
  };
}

export function runCodecBench(seconds: number): BenchResult[] {
  const results: BenchResult[] = [];
  const produce = produceRequest();
  for (const version of [7, 9]) {
    const header = { apiKey: ApiKey.Produce, apiVersion: version, correlationId: 1, clientId: 'bench' };
    const frame = encodeRequest(header, produce);
    const body = frame.subarray(4);
    results.push(
      runBench(`Produce v${version} request encode (1 MiB records)`, () => encodeRequest(header, produce), {
        bytesPerOp: frame.length,
        seconds,
      }),
    );
    results.push(
      runBench(
        `Produce v${version} request encode, chunked (records referenced)`,
        () => encodeRequestChunks(header, produce),
        {
          bytesPerOp: frame.length,
          seconds,
        },
      ),
    );
    results.push(
      runBench(`Produce v${version} request decode (1 MiB records, zero-copy)`, () => decodeRequest(body), {
        bytesPerOp: frame.length,
        seconds,
      }),
    );
  }
  const metadata = metadataResponse(1000);
  for (const version of [6, 9]) {
    const frame = encodeResponse(ApiKey.Metadata, version, 1, metadata);
    const body = frame.subarray(4);
    results.push(
      runBench(
        `Metadata v${version} response encode (1,000 partitions)`,
        () => encodeResponse(ApiKey.Metadata, version, 1, metadata),
        {
          bytesPerOp: frame.length,
          seconds,
        },
      ),
    );
    results.push(
      runBench(
        `Metadata v${version} response decode (1,000 partitions)`,
        () => decodeResponse(ApiKey.Metadata, version, body),
        {
          bytesPerOp: frame.length,
          seconds,
        },
      ),
    );
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = secondsFromArgs();
  useInterpretedStructCodecs(process.env.SLUICE_CODEC_INTERPRET === '1');
  const results = runCodecBench(seconds);
  for (const r of runRecordBatchBench(seconds)) {
    results.push({ bench: r.bench, name: `record batch: ${r.case}`, opsPerSec: NaN, mbPerSec: r.mbPerSec });
  }
  printResults(results);
}
