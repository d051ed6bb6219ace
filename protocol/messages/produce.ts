import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// Produce (api key 0), versions 0-9. Field lists follow Kafka's ProduceRequest.json and
// ProduceResponse.json, restricted to the versions sluice speaks. Versions 0-2 carry legacy message
// sets (magic 0/1) in `records`; the broker up-converts them (protocol/legacy-message-set.ts).

export const produceApi = defineApi({
  apiKey: 0,
  name: 'Produce',
  versions: [0, 9],
  flexibleFrom: 9,
  request: [
    { name: 'transactionalId', type: 'string', versions: '3+', nullable: '3+', default: null },
    { name: 'acks', type: 'int16' },
    { name: 'timeoutMs', type: 'int32' },
    {
      name: 'topicData',
      type: '[]struct',
      struct: 'TopicProduceData',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitionData',
          type: '[]struct',
          struct: 'PartitionProduceData',
          fields: [
            { name: 'index', type: 'int32' },
            { name: 'records', type: 'records', nullable: '0+' },
          ],
        },
      ],
    },
  ],
  response: [
    {
      name: 'responses',
      type: '[]struct',
      struct: 'TopicProduceResponse',
      fields: [
        { name: 'name', type: 'string' },
        {
          name: 'partitionResponses',
          type: '[]struct',
          struct: 'PartitionProduceResponse',
          fields: [
            { name: 'index', type: 'int32' },
            { name: 'errorCode', type: 'int16' },
            { name: 'baseOffset', type: 'int64' },
            { name: 'logAppendTimeMs', type: 'int64', versions: '2+', default: -1 },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
            {
              name: 'recordErrors',
              type: '[]struct',
              struct: 'BatchIndexAndErrorMessage',
              versions: '8+',
              fields: [
                { name: 'batchIndex', type: 'int32' },
                { name: 'batchIndexErrorMessage', type: 'string', nullable: '8+', default: null },
              ],
            },
            { name: 'errorMessage', type: 'string', versions: '8+', nullable: '8+', default: null },
          ],
        },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
  ],
});

export type ProduceRequest = RequestBody<typeof produceApi>;
export type ProduceResponse = ResponseBody<typeof produceApi>;
