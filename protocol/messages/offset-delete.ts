import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// OffsetDelete (api key 47, KIP-496), version 0. Field lists follow Kafka's OffsetDeleteRequest.json
// and OffsetDeleteResponse.json (no flexible versions).

export const offsetDeleteApi = defineApi({
  apiKey: 47,
  name: 'OffsetDelete',
  versions: [0, 0],
  flexibleFrom: null,
  request: [
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
  response: [
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
});

export type OffsetDeleteRequest = RequestBody<typeof offsetDeleteApi>;
export type OffsetDeleteResponse = ResponseBody<typeof offsetDeleteApi>;
