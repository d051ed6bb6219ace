import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// Fetch (api key 1), versions 4-12. Field lists follow Kafka's FetchRequest.json and
// FetchResponse.json, restricted to the versions sluice speaks.

export const fetchApi = defineApi({
  apiKey: 1,
  name: 'Fetch',
  versions: [4, 12],
  flexibleFrom: 12,
  request: [
    { name: 'clusterId', type: 'string', versions: '12+', nullable: '12+', tag: 0, default: null },
    { name: 'replicaId', type: 'int32', default: -1 },
    { name: 'maxWaitMs', type: 'int32' },
    { name: 'minBytes', type: 'int32' },
    { name: 'maxBytes', type: 'int32', default: 2147483647 },
    { name: 'isolationLevel', type: 'int8' },
    { name: 'sessionId', type: 'int32', versions: '7+' },
    { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1 },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'FetchTopic',
      fields: [
        { name: 'topic', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'FetchPartition',
          fields: [
            { name: 'partition', type: 'int32' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '9+', default: -1 },
            { name: 'fetchOffset', type: 'int64' },
            { name: 'lastFetchedEpoch', type: 'int32', versions: '12+', default: -1 },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
            { name: 'partitionMaxBytes', type: 'int32' },
          ],
        },
      ],
    },
    {
      name: 'forgottenTopicsData',
      type: '[]struct',
      struct: 'ForgottenTopic',
      versions: '7+',
      fields: [
        { name: 'topic', type: 'string' },
        { name: 'partitions', type: '[]int32' },
      ],
    },
    { name: 'rackId', type: 'string', versions: '11+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32' },
    { name: 'errorCode', type: 'int16', versions: '7+' },
    { name: 'sessionId', type: 'int32', versions: '7+' },
    {
      name: 'responses',
      type: '[]struct',
      struct: 'FetchableTopicResponse',
      fields: [
        { name: 'topic', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'PartitionData',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'errorCode', type: 'int16' },
            { name: 'highWatermark', type: 'int64' },
            { name: 'lastStableOffset', type: 'int64', default: -1 },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
            {
              name: 'divergingEpoch',
              type: 'struct',
              struct: 'EpochEndOffset',
              versions: '12+',
              tag: 0,
              fields: [
                { name: 'epoch', type: 'int32', default: -1 },
                { name: 'endOffset', type: 'int64', default: -1 },
              ],
            },
            {
              name: 'currentLeader',
              type: 'struct',
              struct: 'LeaderIdAndEpoch',
              versions: '12+',
              tag: 1,
              fields: [
                { name: 'leaderId', type: 'int32', default: -1 },
                { name: 'leaderEpoch', type: 'int32', default: -1 },
              ],
            },
            {
              name: 'snapshotId',
              type: 'struct',
              struct: 'SnapshotId',
              versions: '12+',
              tag: 2,
              fields: [
                { name: 'endOffset', type: 'int64', default: -1 },
                { name: 'epoch', type: 'int32', default: -1 },
              ],
            },
            {
              name: 'abortedTransactions',
              type: '[]struct',
              struct: 'AbortedTransaction',
              nullable: '4+',
              fields: [
                { name: 'producerId', type: 'int64' },
                { name: 'firstOffset', type: 'int64' },
              ],
            },
            { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1 },
            { name: 'records', type: 'records', nullable: '4+' },
          ],
        },
      ],
    },
  ],
});

export type FetchRequest = RequestBody<typeof fetchApi>;
export type FetchResponse = ResponseBody<typeof fetchApi>;
