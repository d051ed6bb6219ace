// FindCoordinator (key 10), versions 0-4: a group's coordinator is the live broker its id hashes to
// (broker/group-coordinator/coordinator-choice.ts), so every broker gives the same answer.
// Only group keys (key type 0) are served: transaction coordinators are not implemented.
import { ErrorCode } from '../../protocol/errors.js';
import { findCoordinatorApi } from '../../protocol/messages/find-coordinator.js';
import type { BrokerServices } from '../broker-services.js';
import { defineApiHandler } from './api-handler.js';

interface Answer {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export const findCoordinatorHandler = defineApiHandler(findCoordinatorApi, {
  async handle(body, context, broker) {
    const keyType = body.keyType ?? 0;
    if (context.header.apiVersion >= 4) {
      const coordinators = (body.coordinatorKeys ?? []).map((key) =>
        locate(broker, key, keyType, context.listenerName),
      );
      return { throttleTimeMs: 0, coordinators };
    }
    const answer = locate(broker, body.key ?? '', keyType, context.listenerName);
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      errorMessage: answer.errorMessage,
      nodeId: answer.nodeId,
      host: answer.host,
      port: answer.port,
    };
  },
});

function locate(broker: BrokerServices, key: string, keyType: number, listenerName: string): Answer {
  const none = (errorCode: number, errorMessage: string): Answer => ({
    key,
    nodeId: -1,
    host: '',
    port: -1,
    errorCode,
    errorMessage,
  });
  if (keyType !== 0) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'only group coordinators exist');
  if (key === '') return none(ErrorCode.INVALID_GROUP_ID, 'empty group id');
  const id = broker.groupCoordinator.coordinatorFor(key);
  const registration = id === null ? undefined : broker.metadata.brokers.get(id);
  if (id === null || !registration) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no live broker');
  const endpoint =
    registration.endpoints.find((e) => e.listener === listenerName) ?? registration.endpoints[0];
  return {
    key,
    nodeId: id,
    host: endpoint?.host ?? registration.host,
    port: endpoint?.port ?? registration.port,
    errorCode: 0,
    errorMessage: null,
  };
}
