// Heartbeat (key 12), versions 0-4: keeps the member's session; REBALANCE_IN_PROGRESS (27) asks it to rejoin.
import { heartbeatRequest } from '../../protocol/messages/heartbeat.js';
import { defineApiHandler } from './api-handler.js';

export const heartbeatHandler = defineApiHandler({
  apiKey: 12,
  minVersion: heartbeatRequest.versions[0],
  maxVersion: heartbeatRequest.versions[1],
  async handle(body, _context, broker) {
    const errorCode = await broker.groupCoordinator.heartbeat(body.groupId, body.memberId, body.generationId);
    return { throttleTimeMs: 0, errorCode };
  },
});
