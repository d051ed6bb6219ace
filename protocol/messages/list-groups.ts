import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// ListGroups (api key 16), versions 0-4. Field lists follow Kafka's ListGroupsRequest.json and
// ListGroupsResponse.json, restricted to the versions sluice speaks.

export const listGroupsApi = defineApi({
  apiKey: 16,
  name: 'ListGroups',
  versions: [0, 4],
  flexibleFrom: 3,
  request: [{ name: 'statesFilter', type: '[]string', versions: '4+' }],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16' },
    {
      name: 'groups',
      type: '[]struct',
      struct: 'ListedGroup',
      fields: [
        { name: 'groupId', type: 'string' },
        { name: 'protocolType', type: 'string' },
        { name: 'groupState', type: 'string', versions: '4+' },
      ],
    },
  ],
});

export type ListGroupsRequest = RequestBody<typeof listGroupsApi>;
export type ListGroupsResponse = ResponseBody<typeof listGroupsApi>;
