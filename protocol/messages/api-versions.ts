import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// ApiVersions (api key 18), versions 0-3. Field lists follow Kafka's ApiVersionsRequest.json and
// ApiVersionsResponse.json, restricted to the versions sluice speaks.

export const apiVersionsApi = defineApi({
  apiKey: 18,
  name: 'ApiVersions',
  versions: [0, 3],
  flexibleFrom: 3,
  request: [
    { name: 'clientSoftwareName', type: 'string', versions: '3+' },
    { name: 'clientSoftwareVersion', type: 'string', versions: '3+' },
  ],
  response: [
    { name: 'errorCode', type: 'int16' },
    {
      name: 'apiKeys',
      type: '[]struct',
      struct: 'ApiVersion',
      fields: [
        { name: 'apiKey', type: 'int16' },
        { name: 'minVersion', type: 'int16' },
        { name: 'maxVersion', type: 'int16' },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'supportedFeatures',
      type: '[]struct',
      struct: 'SupportedFeatureKey',
      versions: '3+',
      tag: 0,
      fields: [
        { name: 'name', type: 'string' },
        { name: 'minVersion', type: 'int16' },
        { name: 'maxVersion', type: 'int16' },
      ],
    },
    { name: 'finalizedFeaturesEpoch', type: 'int64', versions: '3+', tag: 1, default: -1 },
    {
      name: 'finalizedFeatures',
      type: '[]struct',
      struct: 'FinalizedFeatureKey',
      versions: '3+',
      tag: 2,
      fields: [
        { name: 'name', type: 'string' },
        { name: 'maxVersionLevel', type: 'int16' },
        { name: 'minVersionLevel', type: 'int16' },
      ],
    },
    { name: 'zkMigrationReady', type: 'bool', versions: '3+', tag: 3 },
  ],
});

export type ApiVersionsRequest = RequestBody<typeof apiVersionsApi>;
export type ApiVersionsResponse = ResponseBody<typeof apiVersionsApi>;
