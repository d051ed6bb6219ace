import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// DeleteTopics (api key 20), versions 0-6. Field lists follow Kafka's DeleteTopicsRequest.json and
// DeleteTopicsResponse.json, restricted to the versions sluice speaks.

export const deleteTopicsRequest = {
  apiKey: 20,
  name: 'DeleteTopics',
  kind: 'request',
  versions: [0, 6],
  flexibleFrom: 4,
  fields: [
    {
      name: 'topics',
      type: '[]struct',
      struct: 'DeleteTopicState',
      versions: '6+',
      fields: [
        { name: 'name', type: 'string', nullable: '6+', default: null },
        { name: 'topicId', type: 'uuid' },
      ],
    },
    { name: 'topicNames', type: '[]string', versions: '0-5' },
    { name: 'timeoutMs', type: 'int32' },
  ],
} as const satisfies MessageDeclaration;

export type DeleteTopicsRequest = MessageBody<typeof deleteTopicsRequest>;

export const deleteTopicsResponse = {
  apiKey: 20,
  name: 'DeleteTopics',
  kind: 'response',
  versions: [0, 6],
  flexibleFrom: 4,
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'responses',
      type: '[]struct',
      struct: 'DeletableTopicResult',
      fields: [
        { name: 'name', type: 'string', nullable: '6+' },
        { name: 'topicId', type: 'uuid', versions: '6+' },
        { name: 'errorCode', type: 'int16' },
        { name: 'errorMessage', type: 'string', versions: '5+', nullable: '5+', default: null },
      ],
    },
  ],
} as const satisfies MessageDeclaration;

export type DeleteTopicsResponse = MessageBody<typeof deleteTopicsResponse>;
