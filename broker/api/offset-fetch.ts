// OffsetFetch (key 9), versions 1-8: committed offsets (-1 where none), null topics = all of the
// group's (v2+); v8 batches groups. requireStable (v7+) needs no waiting: there are no transactions.
import type { OffsetFetchResponse } from '../../protocol/index.js';
import { offsetFetchApi } from '../../protocol/messages/offset-fetch.js';
import type { OffsetFetchEntry } from '../group-coordinator/group-coordinator.js';
import { defineApiHandler } from './api-handler.js';

export const offsetFetchHandler = defineApiHandler(offsetFetchApi, {
  async handle(body, context, broker) {
    const coordinator = broker.groupCoordinator;
    if (context.header.apiVersion >= 8) {
      const groups: NonNullable<OffsetFetchResponse['groups']> = [];
      for (const g of body.groups ?? []) {
        const result = await coordinator.fetchOffsets(g.groupId, g.topics ?? null);
        groups.push({ groupId: g.groupId, topics: byTopic(result.entries), errorCode: result.errorCode });
      }
      return { throttleTimeMs: 0, groups };
    }
    const result = await coordinator.fetchOffsets(body.groupId ?? '', body.topics ?? null);
    const topics =
      result.errorCode !== 0 && context.header.apiVersion < 2
        ? // v1 has no top-level error: report it on every requested partition.
          (body.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: -1n,
              metadata: '',
              errorCode: result.errorCode,
            })),
          }))
        : byTopic(result.entries);
    return { throttleTimeMs: 0, topics, errorCode: result.errorCode };
  },
});

interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

function byTopic(entries: readonly OffsetFetchEntry[]): Array<{
  name: string;
  partitions: FetchedPartition[];
}> {
  const topics = new Map<string, FetchedPartition[]>();
  for (const e of entries) {
    let list = topics.get(e.topic);
    if (!list) topics.set(e.topic, (list = []));
    list.push({
      partitionIndex: e.partition,
      committedOffset: e.offset,
      committedLeaderEpoch: -1,
      metadata: e.metadata,
      errorCode: e.errorCode,
    });
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}
