import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// ListGroups (api key 16), versions 0-4. Field lists follow Kafka's ListGroupsRequest.json and
// ListGroupsResponse.json, restricted to the versions sluice speaks.

export const listGroupsRequest = {
  apiKey: 16,
  name: 'ListGroups',
  kind: 'request',
  versions: [0, 4],
  flexibleFrom: 3,
  fields: [{ name: 'statesFilter', type: '[]string', versions: '4+' }],
} as const satisfies MessageDeclaration;

export type ListGroupsRequest = MessageBody<typeof listGroupsRequest>;

export const listGroupsResponse = {
  apiKey: 16,
  name: 'ListGroups',
  kind: 'response',
  versions: [0, 4],
  flexibleFrom: 3,
  fields: [
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
} as const satisfies MessageDeclaration;

export type ListGroupsResponse = MessageBody<typeof listGroupsResponse>;
