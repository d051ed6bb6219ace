import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// InitProducerId (api key 22), versions 0-4. Field lists follow Kafka's InitProducerIdRequest.json and
// InitProducerIdResponse.json, restricted to the versions sluice speaks.

export const initProducerIdRequest = {
  apiKey: 22,
  name: 'InitProducerId',
  kind: 'request',
  versions: [0, 4],
  flexibleFrom: 2,
  fields: [
    { name: 'transactionalId', type: 'string', nullable: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
} as const satisfies MessageDeclaration;

export type InitProducerIdRequest = MessageBody<typeof initProducerIdRequest>;

export const initProducerIdResponse = {
  apiKey: 22,
  name: 'InitProducerId',
  kind: 'response',
  versions: [0, 4],
  flexibleFrom: 2,
  fields: [
    { name: 'throttleTimeMs', type: 'int32' },
    { name: 'errorCode', type: 'int16' },
    { name: 'producerId', type: 'int64', default: -1 },
    { name: 'producerEpoch', type: 'int16' },
  ],
} as const satisfies MessageDeclaration;

export type InitProducerIdResponse = MessageBody<typeof initProducerIdResponse>;
