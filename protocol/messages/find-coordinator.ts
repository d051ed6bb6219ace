import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// FindCoordinator (api key 10), versions 0-4. Field lists follow Kafka's FindCoordinatorRequest.json and
// FindCoordinatorResponse.json, restricted to the versions sluice speaks.

export const findCoordinatorApi = defineApi({
  apiKey: 10,
  name: 'FindCoordinator',
  versions: [0, 4],
  flexibleFrom: 3,
  request: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+' },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullable: '1-3' },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators',
      type: '[]struct',
      struct: 'Coordinator',
      versions: '4+',
      fields: [
        { name: 'key', type: 'string' },
        { name: 'nodeId', type: 'int32' },
        { name: 'host', type: 'string' },
        { name: 'port', type: 'int32' },
        { name: 'errorCode', type: 'int16' },
        { name: 'errorMessage', type: 'string', nullable: '4+' },
      ],
    },
  ],
});

export type FindCoordinatorRequest = RequestBody<typeof findCoordinatorApi>;
export type FindCoordinatorResponse = ResponseBody<typeof findCoordinatorApi>;
