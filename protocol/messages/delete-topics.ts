import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// DeleteTopics (api key 20), versions 0-6. Field lists follow Kafka's DeleteTopicsRequest.json and
// DeleteTopicsResponse.json, restricted to the versions sluice speaks.

export const deleteTopicsApi = defineApi({
  apiKey: 20,
  name: 'DeleteTopics',
  versions: [0, 6],
  flexibleFrom: 4,
  request: [
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
  response: [
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
});

export type DeleteTopicsRequest = RequestBody<typeof deleteTopicsApi>;
export type DeleteTopicsResponse = ResponseBody<typeof deleteTopicsApi>;
