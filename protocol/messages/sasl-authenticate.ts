import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// SaslAuthenticate (api key 36), versions 0-2. Field lists follow Kafka's SaslAuthenticateRequest.json and
// SaslAuthenticateResponse.json, restricted to the versions sluice speaks.

export const saslAuthenticateApi = defineApi({
  apiKey: 36,
  name: 'SaslAuthenticate',
  versions: [0, 2],
  flexibleFrom: 2,
  request: [{ name: 'authBytes', type: 'bytes' }],
  response: [
    { name: 'errorCode', type: 'int16' },
    { name: 'errorMessage', type: 'string', nullable: '0+' },
    { name: 'authBytes', type: 'bytes' },
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+' },
  ],
});

export type SaslAuthenticateRequest = RequestBody<typeof saslAuthenticateApi>;
export type SaslAuthenticateResponse = ResponseBody<typeof saslAuthenticateApi>;
