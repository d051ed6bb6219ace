import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// Metadata (api key 3), versions 0-9. Field lists follow Kafka's MetadataRequest.json and
// MetadataResponse.json, restricted to the versions sluice speaks.

export const metadataApi = defineApi({
  apiKey: 3,
  name: 'Metadata',
  versions: [0, 9],
  flexibleFrom: 9,
  request: [
    {
      name: 'topics',
      type: '[]struct',
      struct: 'MetadataRequestTopic',
      nullable: '1+',
      fields: [{ name: 'name', type: 'string' }],
    },
    { name: 'allowAutoTopicCreation', type: 'bool', versions: '4+', default: true },
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '8+' },
    { name: 'includeTopicAuthorizedOperations', type: 'bool', versions: '8+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'brokers',
      type: '[]struct',
      struct: 'MetadataResponseBroker',
      fields: [
        { name: 'nodeId', type: 'int32' },
        { name: 'host', type: 'string' },
        { name: 'port', type: 'int32' },
        { name: 'rack', type: 'string', versions: '1+', nullable: '1+', default: null },
      ],
    },
    { name: 'clusterId', type: 'string', versions: '2+', nullable: '2+', default: null },
    { name: 'controllerId', type: 'int32', versions: '1+', default: -1 },
    {
      name: 'topics',
      type: '[]struct',
      struct: 'MetadataResponseTopic',
      fields: [
        { name: 'errorCode', type: 'int16' },
        { name: 'name', type: 'string' },
        { name: 'isInternal', type: 'bool', versions: '1+' },
        {
          name: 'partitions',
          type: '[]struct',
          struct: 'MetadataResponsePartition',
          fields: [
            { name: 'errorCode', type: 'int16' },
            { name: 'partitionIndex', type: 'int32' },
            { name: 'leaderId', type: 'int32' },
            { name: 'leaderEpoch', type: 'int32', versions: '7+', default: -1 },
            { name: 'replicaNodes', type: '[]int32' },
            { name: 'isrNodes', type: '[]int32' },
            { name: 'offlineReplicas', type: '[]int32', versions: '5+' },
          ],
        },
        { name: 'topicAuthorizedOperations', type: 'int32', versions: '8+', default: -2147483648 },
      ],
    },
    { name: 'clusterAuthorizedOperations', type: 'int32', versions: '8+', default: -2147483648 },
  ],
});

export type MetadataRequest = RequestBody<typeof metadataApi>;
export type MetadataResponse = ResponseBody<typeof metadataApi>;
