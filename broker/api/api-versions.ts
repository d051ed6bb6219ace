// ApiVersions (key 18), versions 0-3: every API in the handler registry with the range it handles.
// Not implemented: supported/finalized features (sent empty). A request for a version above 3 gets the
// v0 fallback from the network layer (error 35 + our ranges), not this handler.
import { apiVersionsApi } from '../../protocol/messages/api-versions.js';
import { defineApiHandler } from './api-handler.js';

export const apiVersionsHandler = defineApiHandler(apiVersionsApi, {
  async handle(_body, _context, broker) {
    return {
      errorCode: 0,
      apiKeys: broker.advertisedApis.map((api) => ({ ...api })),
      throttleTimeMs: 0,
    };
  },
});
