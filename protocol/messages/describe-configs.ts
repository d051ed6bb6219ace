import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// DescribeConfigs (api key 32), versions 0-2. Field lists follow Kafka's DescribeConfigsRequest.json and
// DescribeConfigsResponse.json, restricted to the versions sluice speaks.

export const describeConfigsApi = defineApi({
  apiKey: 32,
  name: 'DescribeConfigs',
  versions: [0, 2],
  flexibleFrom: null,
  request: [
    {
      name: 'resources',
      type: '[]struct',
      struct: 'DescribeConfigsResource',
      fields: [
        { name: 'resourceType', type: 'int8' },
        { name: 'resourceName', type: 'string' },
        { name: 'configurationKeys', type: '[]string', nullable: '0+' },
      ],
    },
    { name: 'includeSynonyms', type: 'bool', versions: '1+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32' },
    {
      name: 'results',
      type: '[]struct',
      struct: 'DescribeConfigsResult',
      fields: [
        { name: 'errorCode', type: 'int16' },
        { name: 'errorMessage', type: 'string', nullable: '0+' },
        { name: 'resourceType', type: 'int8' },
        { name: 'resourceName', type: 'string' },
        {
          name: 'configs',
          type: '[]struct',
          struct: 'DescribeConfigsResourceResult',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'value', type: 'string', nullable: '0+' },
            { name: 'readOnly', type: 'bool' },
            { name: 'isDefault', type: 'bool', versions: '0' },
            { name: 'configSource', type: 'int8', versions: '1+', default: -1 },
            { name: 'isSensitive', type: 'bool' },
            {
              name: 'synonyms',
              type: '[]struct',
              struct: 'DescribeConfigsSynonym',
              versions: '1+',
              fields: [
                { name: 'name', type: 'string' },
                { name: 'value', type: 'string', nullable: '1+' },
                { name: 'source', type: 'int8' },
              ],
            },
          ],
        },
      ],
    },
  ],
});

export type DescribeConfigsRequest = RequestBody<typeof describeConfigsApi>;
export type DescribeConfigsResponse = ResponseBody<typeof describeConfigsApi>;
