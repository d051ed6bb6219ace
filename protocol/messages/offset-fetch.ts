import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// OffsetFetch (api key 9), versions 1-8. Field lists follow Kafka's OffsetFetchRequest.json and
// OffsetFetchResponse.json, restricted to the versions sluice speaks.

export const offsetFetchApi = defineApi({
  apiKey: 9,
  name: 'OffsetFetch',
  versions: [1, 8],
  flexibleFrom: 6,
  request: [
    { name: 'groupId', type: 'string', versions: '1-7' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetFetchRequestTopic',
      versions: '1-7',
      nullable: '2-7',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'partitionIndexes', type: '[]int32' },
      ],
    },
    {
      name: 'groups',
      type: '[]struct',
      struct: 'OffsetFetchRequestGroup',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string' },
        {
          name: 'topics',
          type: '[]struct',
          struct: 'OffsetFetchRequestTopics',
          nullable: '8+',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'partitionIndexes', type: '[]int32' },
          ],
        },
      ],
    },
    { name: 'requireStable', type: 'bool', versions: '7+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetFetchResponseTopic',
      versions: '1-7',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'OffsetFetchResponsePartition',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'committedOffset', type: 'int64' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '5-7', default: -1 },
            { name: 'metadata', type: 'string', nullable: '1-7' },
            { name: 'errorCode', type: 'int16' },
          ],
        },
      ],
    },
    { name: 'errorCode', type: 'int16', versions: '2-7' },
    {
      name: 'groups',
      type: '[]struct',
      struct: 'OffsetFetchResponseGroup',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string' },
        {
          name: 'topics',
          type: '[]struct',
          struct: 'OffsetFetchResponseTopics',
          fields: [
            { name: 'name', type: 'string' },
            {
              name: 'partitions',
              type: '[]struct',
              struct: 'OffsetFetchResponsePartitions',
              fields: [
                { name: 'partitionIndex', type: 'int32' },
                { name: 'committedOffset', type: 'int64' },
                { name: 'committedLeaderEpoch', type: 'int32', default: -1 },
                { name: 'metadata', type: 'string', nullable: '8+' },
                { name: 'errorCode', type: 'int16' },
              ],
            },
          ],
        },
        { name: 'errorCode', type: 'int16' },
      ],
    },
  ],
});

export type OffsetFetchRequest = RequestBody<typeof offsetFetchApi>;
export type OffsetFetchResponse = ResponseBody<typeof offsetFetchApi>;
