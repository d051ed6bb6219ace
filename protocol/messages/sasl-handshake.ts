import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// SaslHandshake (api key 17), versions 0-1. Field lists follow Kafka's SaslHandshakeRequest.json and
// SaslHandshakeResponse.json, restricted to the versions sluice speaks.

export const saslHandshakeApi = defineApi({
  apiKey: 17,
  name: 'SaslHandshake',
  versions: [0, 1],
  flexibleFrom: null,
  request: [{ name: 'mechanism', type: 'string' }],
  response: [
    { name: 'errorCode', type: 'int16' },
    { name: 'mechanisms', type: '[]string' },
  ],
});

export type SaslHandshakeRequest = RequestBody<typeof saslHandshakeApi>;
export type SaslHandshakeResponse = ResponseBody<typeof saslHandshakeApi>;
