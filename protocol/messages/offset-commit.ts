import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// OffsetCommit (api key 8), versions 0-8. Field lists follow Kafka's OffsetCommitRequest.json and
// OffsetCommitResponse.json, restricted to the versions sluice speaks.

export const offsetCommitApi = defineApi({
  apiKey: 8,
  name: 'OffsetCommit',
  versions: [0, 8],
  flexibleFrom: 8,
  request: [
    { name: 'groupId', type: 'string' },
    { name: 'generationIdOrMemberEpoch', type: 'int32', versions: '1+', default: -1 },
    { name: 'memberId', type: 'string', versions: '1+' },
    { name: 'groupInstanceId', type: 'string', versions: '7+', nullable: '7+', default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1 },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetCommitRequestTopic',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'OffsetCommitRequestPartition',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'committedOffset', type: 'int64' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1 },
            { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1 },
            { name: 'committedMetadata', type: 'string', nullable: '0+' },
          ],
        },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'OffsetCommitResponseTopic',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'OffsetCommitResponsePartition',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'errorCode', type: 'int16' },
          ],
        },
      ],
    },
  ],
});

export type OffsetCommitRequest = RequestBody<typeof offsetCommitApi>;
export type OffsetCommitResponse = ResponseBody<typeof offsetCommitApi>;
