// Heartbeat (key 12), versions 0-4: keeps the member's session; REBALANCE_IN_PROGRESS (27) asks it to rejoin.
// v3+: a static member whose instance now belongs to a newer incarnation is fenced (82).
import { heartbeatApi } from '../../protocol/messages/heartbeat.js';
import { defineApiHandler } from './api-handler.js';

export const heartbeatHandler = defineApiHandler(heartbeatApi, {
  async handle(body, context, broker) {
    const errorCode = await broker.groupCoordinator.heartbeat(
      body.groupId,
      body.memberId,
      body.generationId,
      context.header.apiVersion >= 3 ? (body.groupInstanceId ?? null) : null,
    );
    return { throttleTimeMs: 0, errorCode };
  },
});
