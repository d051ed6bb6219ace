import type { MessageBody, MessageDeclaration } from '../schema/declaration.js';

// SaslHandshake (api key 17), versions 0-1. Field lists follow Kafka's SaslHandshakeRequest.json and
// SaslHandshakeResponse.json, restricted to the versions sluice speaks.

export const saslHandshakeRequest = {
  apiKey: 17,
  name: 'SaslHandshake',
  kind: 'request',
  versions: [0, 1],
  flexibleFrom: null,
  fields: [{ name: 'mechanism', type: 'string' }],
} as const satisfies MessageDeclaration;

export type SaslHandshakeRequest = MessageBody<typeof saslHandshakeRequest>;

export const saslHandshakeResponse = {
  apiKey: 17,
  name: 'SaslHandshake',
  kind: 'response',
  versions: [0, 1],
  flexibleFrom: null,
  fields: [
    { name: 'errorCode', type: 'int16' },
    { name: 'mechanisms', type: '[]string' },
  ],
} as const satisfies MessageDeclaration;

export type SaslHandshakeResponse = MessageBody<typeof saslHandshakeResponse>;
