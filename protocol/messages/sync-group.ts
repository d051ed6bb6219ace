import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// SyncGroup (api key 14), versions 0-4. Field lists follow Kafka's SyncGroupRequest.json and
// SyncGroupResponse.json, restricted to the versions sluice speaks.

export const syncGroupApi = defineApi({
  apiKey: 14,
  name: 'SyncGroup',
  versions: [0, 4],
  flexibleFrom: 4,
  request: [
    { name: 'groupId', type: 'string' },
    { name: 'generationId', type: 'int32' },
    { name: 'memberId', type: 'string' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+', default: null },
    {
      name: 'assignments',
      type: '[]struct',
      struct: 'SyncGroupRequestAssignment',
      fields: [
        { name: 'memberId', type: 'string' },
        { name: 'assignment', type: 'bytes' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16' },
    { name: 'assignment', type: 'bytes' },
  ],
});

export type SyncGroupRequest = RequestBody<typeof syncGroupApi>;
export type SyncGroupResponse = ResponseBody<typeof syncGroupApi>;
