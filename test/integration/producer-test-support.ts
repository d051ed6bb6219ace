import { KafkaConnection, parseAddress } from '../../client/kafka-connection.js';
import { KafkaAdmin } from '../../client/admin.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { decodeRecordBatchesSync, type DecodedRecord } from '../../protocol/record-batch.js';

/** Every record of one partition, read with plain Fetch requests from `bootstrap` (which must lead it). */
export async function readPartition(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<DecodedRecord[]> {
  const connection = await KafkaConnection.connect(parseAddress(bootstrap));
  try {
    const records: DecodedRecord[] = [];
    let offset = 0n;
    for (;;) {
      const response = await connection.request(ApiKey.Fetch, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 32 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            partitions: [
              {
                partition,
                fetchOffset: offset,
                partitionMaxBytes: 8 * 1024 * 1024,
                logStartOffset: -1n,
                currentLeaderEpoch: -1,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      const answer = response.responses[0]!.partitions[0]!;
      if (answer.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}: error ${answer.errorCode}`);
      const bytes = answer.records;
      if (!bytes || bytes.length === 0) return records;
      const batches = decodeRecordBatchesSync(bytes);
      if (batches.length === 0) return records;
      for (const batch of batches)
        for (const record of batch.records) if (record.offset >= offset) records.push(record);
      offset = records.length > 0 ? records[records.length - 1]!.offset + 1n : offset;
      if (offset >= answer.highWatermark) return records;
    }
  } finally {
    connection.close();
  }
}

export async function createTopicVia(
  bootstrap: string,
  name: string,
  numPartitions: number,
  replicationFactor = 1,
): Promise<void> {
  const admin = await KafkaAdmin.create({ bootstrapServers: [bootstrap] });
  try {
    const [result] = await admin.createTopics([{ name, numPartitions, replicationFactor }]);
    if (result?.error) throw result.error;
  } finally {
    await admin.close();
  }
}
