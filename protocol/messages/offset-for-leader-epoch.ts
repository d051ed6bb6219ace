import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// OffsetForLeaderEpoch (api key 23), versions 0-3. Field lists follow Kafka's OffsetForLeaderEpochRequest.json and
// OffsetForLeaderEpochResponse.json, restricted to the versions sluice speaks.

export const offsetForLeaderEpochApi = defineApi({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  versions: [0, 3],
  flexibleFrom: null,
  request: [
    { name: 'replicaId', type: 'int32', versions: '3+', default: -2 },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetForLeaderTopic',
      fields: [
        { name: 'topic', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'OffsetForLeaderPartition',
          fields: [
            { name: 'partition', type: 'int32' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '2+', default: -1 },
            { name: 'leaderEpoch', type: 'int32' },
          ],
        },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetForLeaderTopicResult',
      fields: [
        { name: 'topic', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'EpochEndOffset',
          fields: [
            { name: 'errorCode', type: 'int16' },
            { name: 'partition', type: 'int32' },
            { name: 'leaderEpoch', type: 'int32', versions: '1+', default: -1 },
            { name: 'endOffset', type: 'int64', default: -1 },
          ],
        },
      ],
    },
  ],
});

export type OffsetForLeaderEpochRequest = RequestBody<typeof offsetForLeaderEpochApi>;
export type OffsetForLeaderEpochResponse = ResponseBody<typeof offsetForLeaderEpochApi>;
