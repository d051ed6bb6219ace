import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// DeleteGroups (api key 42), versions 0-2. Field lists follow Kafka's DeleteGroupsRequest.json and
// DeleteGroupsResponse.json, restricted to the versions sluice speaks.

export const deleteGroupsRequest = {
  apiKey: 42,
  name: 'DeleteGroups',
  kind: 'request',
  versions: [0, 2],
  flexibleFrom: 2,
  fields: [{ name: 'groupsNames', type: '[]string' }],
} as const satisfies MessageDeclaration;

export type DeleteGroupsRequest = MessageBody<typeof deleteGroupsRequest>;

export const deleteGroupsResponse = {
  apiKey: 42,
  name: 'DeleteGroups',
  kind: 'response',
  versions: [0, 2],
  flexibleFrom: 2,
  fields: [
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
} as const satisfies MessageDeclaration;

export type DeleteGroupsResponse = MessageBody<typeof deleteGroupsResponse>;
