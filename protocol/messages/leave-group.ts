import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// LeaveGroup (api key 13), versions 0-4. Field lists follow Kafka's LeaveGroupRequest.json and
// LeaveGroupResponse.json, restricted to the versions sluice speaks.

export const leaveGroupRequest = {
  apiKey: 13,
  name: 'LeaveGroup',
  kind: 'request',
  versions: [0, 4],
  flexibleFrom: 4,
  fields: [
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
} as const satisfies MessageDeclaration;

export type LeaveGroupRequest = MessageBody<typeof leaveGroupRequest>;

export const leaveGroupResponse = {
  apiKey: 13,
  name: 'LeaveGroup',
  kind: 'response',
  versions: [0, 4],
  flexibleFrom: 4,
  fields: [
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
} as const satisfies MessageDeclaration;

export type LeaveGroupResponse = MessageBody<typeof leaveGroupResponse>;
