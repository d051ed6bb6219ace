import {
  apiKeyTable,
  type ApiDescriptor,
  type RequestBodiesOf,
  type ResponseBodiesOf,
} from '../schema/api-declaration.js';
import { produceApi } from './produce.js';
import { fetchApi } from './fetch.js';
import { listOffsetsApi } from './list-offsets.js';
import { metadataApi } from './metadata.js';
import { offsetCommitApi } from './offset-commit.js';
import { offsetFetchApi } from './offset-fetch.js';
import { offsetDeleteApi } from './offset-delete.js';
import { findCoordinatorApi } from './find-coordinator.js';
import { joinGroupApi } from './join-group.js';
import { heartbeatApi } from './heartbeat.js';
import { leaveGroupApi } from './leave-group.js';
import { syncGroupApi } from './sync-group.js';
import { describeGroupsApi } from './describe-groups.js';
import { listGroupsApi } from './list-groups.js';
import { saslHandshakeApi } from './sasl-handshake.js';
import { apiVersionsApi } from './api-versions.js';
import { createTopicsApi } from './create-topics.js';
import { deleteTopicsApi } from './delete-topics.js';
import { initProducerIdApi } from './init-producer-id.js';
import { offsetForLeaderEpochApi } from './offset-for-leader-epoch.js';
import { describeConfigsApi } from './describe-configs.js';
import { saslAuthenticateApi } from './sasl-authenticate.js';
import { deleteGroupsApi } from './delete-groups.js';

/**
 * Every API the codec knows, in api-key order: one entry per file in this folder. `ApiKey`, the body
 * maps and the codec all derive from this list, so adding an API is its file plus one entry here (and
 * its `export *` line below); see docs/adding-an-api.md.
 */
export const API_DESCRIPTORS = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  describeConfigsApi,
  saslAuthenticateApi,
  deleteGroupsApi,
  offsetDeleteApi,
] as const satisfies readonly ApiDescriptor[];

/** Any API in the list. */
export type KnownApi = (typeof API_DESCRIPTORS)[number];

const byKey = new Map<number, KnownApi>(API_DESCRIPTORS.map((d) => [d.apiKey, d]));

/** The descriptor for an api key, or undefined if the codec does not know it. */
export function apiDescriptor(apiKey: number): KnownApi | undefined {
  return byKey.get(apiKey);
}

/** Api keys by name, e.g. `ApiKey.Produce === 0`. */
export const ApiKey = apiKeyTable(API_DESCRIPTORS);
export type ApiKey = KnownApi['apiKey'];

/** Request body type per api key. */
export type RequestBodies = RequestBodiesOf<typeof API_DESCRIPTORS>;
/** Response body type per api key. */
export type ResponseBodies = ResponseBodiesOf<typeof API_DESCRIPTORS>;

export type { ApiDescriptor };
export * from './produce.js';
export * from './fetch.js';
export * from './list-offsets.js';
export * from './metadata.js';
export * from './offset-commit.js';
export * from './offset-fetch.js';
export * from './offset-delete.js';
export * from './find-coordinator.js';
export * from './join-group.js';
export * from './heartbeat.js';
export * from './leave-group.js';
export * from './sync-group.js';
export * from './describe-groups.js';
export * from './list-groups.js';
export * from './sasl-handshake.js';
export * from './api-versions.js';
export * from './create-topics.js';
export * from './delete-topics.js';
export * from './init-producer-id.js';
export * from './offset-for-leader-epoch.js';
export * from './describe-configs.js';
export * from './sasl-authenticate.js';
export * from './delete-groups.js';
