import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// SyncGroup (api key 14), versions 0-4. Field lists follow Kafka's SyncGroupRequest.json and
// SyncGroupResponse.json, restricted to the versions sluice speaks.

export const syncGroupRequest = {
  apiKey: 14,
  name: 'SyncGroup',
  kind: 'request',
  versions: [0, 4],
  flexibleFrom: 4,
  fields: [
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
} as const satisfies MessageDeclaration;

export type SyncGroupRequest = MessageBody<typeof syncGroupRequest>;

export const syncGroupResponse = {
  apiKey: 14,
  name: 'SyncGroup',
  kind: 'response',
  versions: [0, 4],
  flexibleFrom: 4,
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16' },
    { name: 'assignment', type: 'bytes' },
  ],
} as const satisfies MessageDeclaration;

export type SyncGroupResponse = MessageBody<typeof syncGroupResponse>;
