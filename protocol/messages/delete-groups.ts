import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// DeleteGroups (api key 42), versions 0-2. Field lists follow Kafka's DeleteGroupsRequest.json and
// DeleteGroupsResponse.json, restricted to the versions sluice speaks.

export const deleteGroupsApi = defineApi({
  apiKey: 42,
  name: 'DeleteGroups',
  versions: [0, 2],
  flexibleFrom: 2,
  request: [{ name: 'groupsNames', type: '[]string' }],
  response: [
    { name: 'throttleTimeMs', type: 'int32' },
    {
      name: 'results',
      type: '[]struct',
      struct: 'DeletableGroupResult',
      fields: [
        { name: 'groupId', type: 'string' },
        { name: 'errorCode', type: 'int16' },
      ],
    },
  ],
});

export type DeleteGroupsRequest = RequestBody<typeof deleteGroupsApi>;
export type DeleteGroupsResponse = ResponseBody<typeof deleteGroupsApi>;
