import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// SaslAuthenticate (api key 36), versions 0-2. Field lists follow Kafka's SaslAuthenticateRequest.json and
// SaslAuthenticateResponse.json, restricted to the versions sluice speaks.

export const saslAuthenticateRequest = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  kind: 'request',
  versions: [0, 2],
  flexibleFrom: 2,
  fields: [{ name: 'authBytes', type: 'bytes' }],
} as const satisfies MessageDeclaration;

export type SaslAuthenticateRequest = MessageBody<typeof saslAuthenticateRequest>;

export const saslAuthenticateResponse = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  kind: 'response',
  versions: [0, 2],
  flexibleFrom: 2,
  fields: [
    { name: 'errorCode', type: 'int16' },
    { name: 'errorMessage', type: 'string', nullable: '0+' },
    { name: 'authBytes', type: 'bytes' },
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+' },
  ],
} as const satisfies MessageDeclaration;

export type SaslAuthenticateResponse = MessageBody<typeof saslAuthenticateResponse>;
