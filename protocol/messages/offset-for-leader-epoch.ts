import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// OffsetForLeaderEpoch (api key 23), versions 0-3. Field lists follow Kafka's OffsetForLeaderEpochRequest.json and
// OffsetForLeaderEpochResponse.json, restricted to the versions sluice speaks.

export const offsetForLeaderEpochRequest = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  kind: 'request',
  versions: [0, 3],
  flexibleFrom: null,
  fields: [
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
} as const satisfies MessageDeclaration;

export type OffsetForLeaderEpochRequest = MessageBody<typeof offsetForLeaderEpochRequest>;

export const offsetForLeaderEpochResponse = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  kind: 'response',
  versions: [0, 3],
  flexibleFrom: null,
  fields: [
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
} as const satisfies MessageDeclaration;

export type OffsetForLeaderEpochResponse = MessageBody<typeof offsetForLeaderEpochResponse>;
