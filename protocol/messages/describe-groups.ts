import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// DescribeGroups (api key 15), versions 0-5. Field lists follow Kafka's DescribeGroupsRequest.json and
// DescribeGroupsResponse.json, restricted to the versions sluice speaks.

export const describeGroupsRequest = {
  apiKey: 15,
  name: 'DescribeGroups',
  kind: 'request',
  versions: [0, 5],
  flexibleFrom: 5,
  fields: [
    { name: 'groups', type: '[]string' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
} as const satisfies MessageDeclaration;

export type DescribeGroupsRequest = MessageBody<typeof describeGroupsRequest>;

export const describeGroupsResponse = {
  apiKey: 15,
  name: 'DescribeGroups',
  kind: 'response',
  versions: [0, 5],
  flexibleFrom: 5,
  fields: [
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
} as const satisfies MessageDeclaration;

export type DescribeGroupsResponse = MessageBody<typeof describeGroupsResponse>;
