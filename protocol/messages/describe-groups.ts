import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// DescribeGroups (api key 15), versions 0-5. Field lists follow Kafka's DescribeGroupsRequest.json and
// DescribeGroupsResponse.json, restricted to the versions sluice speaks.

export const describeGroupsApi = defineApi({
  apiKey: 15,
  name: 'DescribeGroups',
  versions: [0, 5],
  flexibleFrom: 5,
  request: [
    { name: 'groups', type: '[]string' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'groups',
      type: '[]struct',
      struct: 'DescribedGroup',
      fields: [
        { name: 'errorCode', type: 'int16' },
        { name: 'groupId', type: 'string' },
        { name: 'groupState', type: 'string' },
        { name: 'protocolType', type: 'string' },
        { name: 'protocolData', type: 'string' },
        {
          name: 'members',
          type: '[]struct',
          struct: 'DescribedGroupMember',
          fields: [
            { name: 'memberId', type: 'string' },
            { name: 'groupInstanceId', type: 'string', versions: '4+', nullable: '4+', default: null },
            { name: 'clientId', type: 'string' },
            { name: 'clientHost', type: 'string' },
            { name: 'memberMetadata', type: 'bytes' },
            { name: 'memberAssignment', type: 'bytes' },
          ],
        },
        { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
      ],
    },
  ],
});

export type DescribeGroupsRequest = RequestBody<typeof describeGroupsApi>;
export type DescribeGroupsResponse = ResponseBody<typeof describeGroupsApi>;
