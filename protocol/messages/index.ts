import type { MessageDeclaration } from '../schema/declaration.js';
import { produceRequest, produceResponse, type ProduceRequest, type ProduceResponse } from './produce.js';
import { fetchRequest, fetchResponse, type FetchRequest, type FetchResponse } from './fetch.js';
import {
  listOffsetsRequest,
  listOffsetsResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from './list-offsets.js';
import {
  metadataRequest,
  metadataResponse,
  type MetadataRequest,
  type MetadataResponse,
} from './metadata.js';
import {
  offsetCommitRequest,
  offsetCommitResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from './offset-commit.js';
import {
  offsetFetchRequest,
  offsetFetchResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from './offset-fetch.js';
import {
  findCoordinatorRequest,
  findCoordinatorResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from './find-coordinator.js';
import {
  joinGroupRequest,
  joinGroupResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from './join-group.js';
import {
  heartbeatRequest,
  heartbeatResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from './heartbeat.js';
import {
  leaveGroupRequest,
  leaveGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
} from './leave-group.js';
import {
  syncGroupRequest,
  syncGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from './sync-group.js';
import {
  describeGroupsRequest,
  describeGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from './describe-groups.js';
import {
  listGroupsRequest,
  listGroupsResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
} from './list-groups.js';
import {
  saslHandshakeRequest,
  saslHandshakeResponse,
  type SaslHandshakeRequest,
  type SaslHandshakeResponse,
} from './sasl-handshake.js';
import {
  apiVersionsRequest,
  apiVersionsResponse,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from './api-versions.js';
import {
  createTopicsRequest,
  createTopicsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from './create-topics.js';
import {
  deleteTopicsRequest,
  deleteTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from './delete-topics.js';
import {
  initProducerIdRequest,
  initProducerIdResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from './init-producer-id.js';
import {
  offsetForLeaderEpochRequest,
  offsetForLeaderEpochResponse,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from './offset-for-leader-epoch.js';
import {
  describeConfigsRequest,
  describeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from './describe-configs.js';
import {
  saslAuthenticateRequest,
  saslAuthenticateResponse,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
} from './sasl-authenticate.js';
import {
  deleteGroupsRequest,
  deleteGroupsResponse,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
} from './delete-groups.js';
import {
  offsetDeleteRequest,
  offsetDeleteResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
} from './offset-delete.js';

/** One API: its key, name, the version range sluice speaks, and its request/response declarations. */
export interface ApiDescriptor {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version, or null if every supported version is classic. */
  readonly flexibleFrom: number | null;
  readonly request: MessageDeclaration;
  readonly response: MessageDeclaration;
}

function api(request: MessageDeclaration, response: MessageDeclaration): ApiDescriptor {
  return {
    apiKey: request.apiKey,
    name: request.name,
    minVersion: request.versions[0],
    maxVersion: request.versions[1],
    flexibleFrom: request.flexibleFrom,
    request,
    response,
  };
}

/** Every API the codec knows, in api-key order. */
export const API_DESCRIPTORS: readonly ApiDescriptor[] = [
  api(produceRequest, produceResponse),
  api(fetchRequest, fetchResponse),
  api(listOffsetsRequest, listOffsetsResponse),
  api(metadataRequest, metadataResponse),
  api(offsetCommitRequest, offsetCommitResponse),
  api(offsetFetchRequest, offsetFetchResponse),
  api(findCoordinatorRequest, findCoordinatorResponse),
  api(joinGroupRequest, joinGroupResponse),
  api(heartbeatRequest, heartbeatResponse),
  api(leaveGroupRequest, leaveGroupResponse),
  api(syncGroupRequest, syncGroupResponse),
  api(describeGroupsRequest, describeGroupsResponse),
  api(listGroupsRequest, listGroupsResponse),
  api(saslHandshakeRequest, saslHandshakeResponse),
  api(apiVersionsRequest, apiVersionsResponse),
  api(createTopicsRequest, createTopicsResponse),
  api(deleteTopicsRequest, deleteTopicsResponse),
  api(initProducerIdRequest, initProducerIdResponse),
  api(offsetForLeaderEpochRequest, offsetForLeaderEpochResponse),
  api(describeConfigsRequest, describeConfigsResponse),
  api(saslAuthenticateRequest, saslAuthenticateResponse),
  api(deleteGroupsRequest, deleteGroupsResponse),
  api(offsetDeleteRequest, offsetDeleteResponse),
];

const byKey = new Map(API_DESCRIPTORS.map((d) => [d.apiKey, d]));

/** The descriptor for an api key, or undefined if the codec does not know it. */
export function apiDescriptor(apiKey: number): ApiDescriptor | undefined {
  return byKey.get(apiKey);
}

/** Api keys by name, e.g. `ApiKey.Produce === 0`. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
  DeleteGroups: 42,
  OffsetDelete: 47,
} as const;
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];

/** Request body type per api key. */
export interface RequestBodies {
  0: ProduceRequest;
  1: FetchRequest;
  2: ListOffsetsRequest;
  3: MetadataRequest;
  8: OffsetCommitRequest;
  9: OffsetFetchRequest;
  10: FindCoordinatorRequest;
  11: JoinGroupRequest;
  12: HeartbeatRequest;
  13: LeaveGroupRequest;
  14: SyncGroupRequest;
  15: DescribeGroupsRequest;
  16: ListGroupsRequest;
  17: SaslHandshakeRequest;
  18: ApiVersionsRequest;
  19: CreateTopicsRequest;
  20: DeleteTopicsRequest;
  22: InitProducerIdRequest;
  23: OffsetForLeaderEpochRequest;
  32: DescribeConfigsRequest;
  36: SaslAuthenticateRequest;
  42: DeleteGroupsRequest;
  47: OffsetDeleteRequest;
}

/** Response body type per api key. */
export interface ResponseBodies {
  0: ProduceResponse;
  1: FetchResponse;
  2: ListOffsetsResponse;
  3: MetadataResponse;
  8: OffsetCommitResponse;
  9: OffsetFetchResponse;
  10: FindCoordinatorResponse;
  11: JoinGroupResponse;
  12: HeartbeatResponse;
  13: LeaveGroupResponse;
  14: SyncGroupResponse;
  15: DescribeGroupsResponse;
  16: ListGroupsResponse;
  17: SaslHandshakeResponse;
  18: ApiVersionsResponse;
  19: CreateTopicsResponse;
  20: DeleteTopicsResponse;
  22: InitProducerIdResponse;
  23: OffsetForLeaderEpochResponse;
  32: DescribeConfigsResponse;
  36: SaslAuthenticateResponse;
  42: DeleteGroupsResponse;
  47: OffsetDeleteResponse;
}

export type {
  ProduceRequest,
  ProduceResponse,
  FetchRequest,
  FetchResponse,
  ListOffsetsRequest,
  ListOffsetsResponse,
  MetadataRequest,
  MetadataResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  SyncGroupRequest,
  SyncGroupResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  SaslHandshakeRequest,
  SaslHandshakeResponse,
  ApiVersionsRequest,
  ApiVersionsResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  InitProducerIdRequest,
  InitProducerIdResponse,
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
};
export {
  produceRequest,
  produceResponse,
  fetchRequest,
  fetchResponse,
  listOffsetsRequest,
  listOffsetsResponse,
  metadataRequest,
  metadataResponse,
  offsetCommitRequest,
  offsetCommitResponse,
  offsetFetchRequest,
  offsetFetchResponse,
  findCoordinatorRequest,
  findCoordinatorResponse,
  joinGroupRequest,
  joinGroupResponse,
  heartbeatRequest,
  heartbeatResponse,
  leaveGroupRequest,
  leaveGroupResponse,
  syncGroupRequest,
  syncGroupResponse,
  describeGroupsRequest,
  describeGroupsResponse,
  listGroupsRequest,
  listGroupsResponse,
  saslHandshakeRequest,
  saslHandshakeResponse,
  apiVersionsRequest,
  apiVersionsResponse,
  createTopicsRequest,
  createTopicsResponse,
  deleteTopicsRequest,
  deleteTopicsResponse,
  initProducerIdRequest,
  initProducerIdResponse,
  offsetForLeaderEpochRequest,
  offsetForLeaderEpochResponse,
  describeConfigsRequest,
  describeConfigsResponse,
  saslAuthenticateRequest,
  saslAuthenticateResponse,
  deleteGroupsRequest,
  deleteGroupsResponse,
  offsetDeleteRequest,
  offsetDeleteResponse,
};
