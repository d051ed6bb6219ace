import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// Heartbeat (api key 12), versions 0-4. Field lists follow Kafka's HeartbeatRequest.json and
// HeartbeatResponse.json, restricted to the versions sluice speaks.

export const heartbeatRequest = {
  apiKey: 12,
  name: 'Heartbeat',
  kind: 'request',
  versions: [0, 4],
  flexibleFrom: 4,
  fields: [
    { name: 'groupId', type: 'string' },
    { name: 'generationId', type: 'int32' },
    { name: 'memberId', type: 'string' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+', default: null },
  ],
} as const satisfies MessageDeclaration;

export type HeartbeatRequest = MessageBody<typeof heartbeatRequest>;

export const heartbeatResponse = {
  apiKey: 12,
  name: 'Heartbeat',
  kind: 'response',
  versions: [0, 4],
  flexibleFrom: 4,
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16' },
  ],
} as const satisfies MessageDeclaration;

export type HeartbeatResponse = MessageBody<typeof heartbeatResponse>;
