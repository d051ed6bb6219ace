import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// CreateTopics (api key 19), versions 0-7. Field lists follow Kafka's CreateTopicsRequest.json and
// CreateTopicsResponse.json, restricted to the versions sluice speaks.

export const createTopicsApi = defineApi({
  apiKey: 19,
  name: 'CreateTopics',
  versions: [0, 7],
  flexibleFrom: 5,
  request: [
    {
      name: 'topics',
      type: '[]struct',
      struct: 'CreatableTopic',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'numPartitions', type: 'int32' },
        { name: 'replicationFactor', type: 'int16' },
        {
          name: 'assignments',
          type: '[]struct',
          struct: 'CreatableReplicaAssignment',
          fields: [
            { name: 'partitionIndex', type: 'int32' },
            { name: 'brokerIds', type: '[]int32' },
          ],
        },
        {
          name: 'configs',
          type: '[]struct',
          struct: 'CreatableTopicConfig',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'value', type: 'string', nullable: '0+' },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '1+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'CreatableTopicResult',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'topicId', type: 'uuid', versions: '7+' },
        { name: 'errorCode', type: 'int16' },
        { name: 'errorMessage', type: 'string', versions: '1+', nullable: '1+' },
        { name: 'topicConfigErrorCode', type: 'int16', versions: '5+', tag: 0 },
        { name: 'numPartitions', type: 'int32', versions: '5+', default: -1 },
        { name: 'replicationFactor', type: 'int16', versions: '5+', default: -1 },
        {
          name: 'configs',
          type: '[]struct',
          struct: 'CreatableTopicConfigs',
          versions: '5+',
          nullable: '5+',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'value', type: 'string', nullable: '5+' },
            { name: 'readOnly', type: 'bool' },
            { name: 'configSource', type: 'int8', default: -1 },
            { name: 'isSensitive', type: 'bool' },
          ],
        },
      ],
    },
  ],
});

export type CreateTopicsRequest = RequestBody<typeof createTopicsApi>;
export type CreateTopicsResponse = ResponseBody<typeof createTopicsApi>;
