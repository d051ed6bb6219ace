import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// LeaveGroup (api key 13), versions 0-4. Field lists follow Kafka's LeaveGroupRequest.json and
// LeaveGroupResponse.json, restricted to the versions sluice speaks.

export const leaveGroupApi = defineApi({
  apiKey: 13,
  name: 'LeaveGroup',
  versions: [0, 4],
  flexibleFrom: 4,
  request: [
    { name: 'groupId', type: 'string' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    {
      name: 'members',
      type: '[]struct',
      struct: 'MemberIdentity',
      versions: '3+',
      fields: [
        { name: 'memberId', type: 'string' },
        { name: 'groupInstanceId', type: 'string', nullable: '3+', default: null },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16' },
    {
      name: 'members',
      type: '[]struct',
      struct: 'MemberResponse',
      versions: '3+',
      fields: [
        { name: 'memberId', type: 'string' },
        { name: 'groupInstanceId', type: 'string', nullable: '3+' },
        { name: 'errorCode', type: 'int16' },
      ],
    },
  ],
});

export type LeaveGroupRequest = RequestBody<typeof leaveGroupApi>;
export type LeaveGroupResponse = ResponseBody<typeof leaveGroupApi>;
