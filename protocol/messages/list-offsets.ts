import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// ListOffsets (api key 2), versions 0-6 (v0: up to max_num_offsets offsets per partition, answered in
// old_style_offsets). Field lists follow Kafka's ListOffsetsRequest.json and ListOffsetsResponse.json,
// restricted to the versions sluice speaks.

export const listOffsetsApi = defineApi({
  apiKey: 2,
  name: 'ListOffsets',
  versions: [0, 6],
  flexibleFrom: 6,
  request: [
    { name: 'replicaId', type: 'int32' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'ListOffsetsTopic',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'ListOffsetsPartition',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1 },
            { name: 'timestamp', type: 'int64' },
            { name: 'maxNumOffsets', type: 'int32', versions: '0', default: 1 },
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
      struct: 'ListOffsetsTopicResponse',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'ListOffsetsPartitionResponse',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'errorCode', type: 'int16' },
            { name: 'oldStyleOffsets', type: '[]int64', versions: '0' },
            { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
            { name: 'offset', type: 'int64', versions: '1+', default: -1 },
            { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
          ],
        },
      ],
    },
  ],
});

export type ListOffsetsRequest = RequestBody<typeof listOffsetsApi>;
export type ListOffsetsResponse = ResponseBody<typeof listOffsetsApi>;
