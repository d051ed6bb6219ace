import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// InitProducerId (api key 22), versions 0-4. Field lists follow Kafka's InitProducerIdRequest.json and
// InitProducerIdResponse.json, restricted to the versions sluice speaks.

export const initProducerIdApi = defineApi({
  apiKey: 22,
  name: 'InitProducerId',
  versions: [0, 4],
  flexibleFrom: 2,
  request: [
    { name: 'transactionalId', type: 'string', nullable: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32' },
    { name: 'errorCode', type: 'int16' },
    { name: 'producerId', type: 'int64', default: -1 },
    { name: 'producerEpoch', type: 'int16' },
  ],
});

export type InitProducerIdRequest = RequestBody<typeof initProducerIdApi>;
export type InitProducerIdResponse = ResponseBody<typeof initProducerIdApi>;
