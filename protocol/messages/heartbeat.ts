import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// Heartbeat (api key 12), versions 0-4. Field lists follow Kafka's HeartbeatRequest.json and
// HeartbeatResponse.json, restricted to the versions sluice speaks.

export const heartbeatApi = defineApi({
  apiKey: 12,
  name: 'Heartbeat',
  versions: [0, 4],
  flexibleFrom: 4,
  request: [
    { name: 'groupId', type: 'string' },
    { name: 'generationId', type: 'int32' },
    { name: 'memberId', type: 'string' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullable: '3+', default: null },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16' },
  ],
});

export type HeartbeatRequest = RequestBody<typeof heartbeatApi>;
export type HeartbeatResponse = ResponseBody<typeof heartbeatApi>;
