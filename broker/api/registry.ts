import type { ApiKey } from '../../protocol/index.js';
import type { ApiHandler } from './api-handler.js';
import { apiVersionsHandler } from './api-versions.js';
import { fetchHandler } from './fetch.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import { listOffsetsHandler } from './list-offsets.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeConfigsHandler } from './describe-configs.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { joinGroupHandler } from './join-group.js';
import { syncGroupHandler } from './sync-group.js';
import { heartbeatHandler } from './heartbeat.js';
import { leaveGroupHandler } from './leave-group.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { listGroupsHandler } from './list-groups.js';
import { describeGroupsHandler } from './describe-groups.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { offsetDeleteHandler } from './offset-delete.js';

/**
 * Every API the broker serves. ApiVersions advertises exactly this list, so what is advertised is
 * what is handled; an API missing here is answered as unsupported.
 */
const HANDLERS: ReadonlyArray<ApiHandler<ApiKey>> = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  offsetForLeaderEpochHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
] as unknown as ReadonlyArray<ApiHandler<ApiKey>>;

export class ApiRegistry {
  private readonly byKey: Map<number, ApiHandler<ApiKey>>;

  constructor(handlers: ReadonlyArray<ApiHandler<ApiKey>> = HANDLERS) {
    this.byKey = new Map(handlers.map((h) => [h.apiKey, h]));
  }

  /** The handler for `apiKey` if it handles `version`. */
  handlerFor(apiKey: number, version: number): ApiHandler<ApiKey> | undefined {
    const handler = this.byKey.get(apiKey);
    if (!handler || version < handler.minVersion || version > handler.maxVersion) return undefined;
    return handler;
  }

  /** ApiVersions' list, in api-key order. */
  advertised(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.byKey.values()]
      .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
