import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// OffsetDelete (api key 47, KIP-496), version 0. Field lists follow Kafka's OffsetDeleteRequest.json
// and OffsetDeleteResponse.json (no flexible versions).

export const offsetDeleteRequest = {
  apiKey: 47,
  name: 'OffsetDelete',
  kind: 'request',
  versions: [0, 0],
  flexibleFrom: null,
  fields: [
    { name: 'groupId', type: 'string' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetDeleteRequestTopic',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'OffsetDeleteRequestPartition',
          fields: [{ name: 'partitionIndex', type: 'int32' }],
        },
      ],
    },
  ],
} as const satisfies MessageDeclaration;

export type OffsetDeleteRequest = MessageBody<typeof offsetDeleteRequest>;

export const offsetDeleteResponse = {
  apiKey: 47,
  name: 'OffsetDelete',
  kind: 'response',
  versions: [0, 0],
  flexibleFrom: null,
  fields: [
    { name: 'errorCode', type: 'int16' },
    { name: 'throttleTimeMs', type: 'int32' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetDeleteResponseTopic',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'OffsetDeleteResponsePartition',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'errorCode', type: 'int16' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageDeclaration;

export type OffsetDeleteResponse = MessageBody<typeof offsetDeleteResponse>;
