import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// JoinGroup (api key 11), versions 0-6. Field lists follow Kafka's JoinGroupRequest.json and
// JoinGroupResponse.json, restricted to the versions sluice speaks.

export const joinGroupApi = defineApi({
  apiKey: 11,
  name: 'JoinGroup',
  versions: [0, 6],
  flexibleFrom: 6,
  request: [
    { name: 'groupId', type: 'string' },
    { name: 'sessionTimeoutMs', type: 'int32' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1 },
    { name: 'memberId', type: 'string' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullable: '5+', default: null },
    { name: 'protocolType', type: 'string' },
    {
      name: 'protocols',
      type: '[]struct',
      struct: 'JoinGroupRequestProtocol',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'metadata', type: 'bytes' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    { name: 'errorCode', type: 'int16' },
    { name: 'generationId', type: 'int32', default: -1 },
    { name: 'protocolName', type: 'string' },
    { name: 'leader', type: 'string' },
    { name: 'memberId', type: 'string' },
    {
      name: 'members',
      type: '[]struct',
      struct: 'JoinGroupResponseMember',
      fields: [
        { name: 'memberId', type: 'string' },
        { name: 'groupInstanceId', type: 'string', versions: '5+', nullable: '5+', default: null },
        { name: 'metadata', type: 'bytes' },
      ],
    },
  ],
});

export type JoinGroupRequest = RequestBody<typeof joinGroupApi>;
export type JoinGroupResponse = ResponseBody<typeof joinGroupApi>;
