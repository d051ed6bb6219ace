// Heartbeat (key 12), versions 0-4: keeps the member's session; REBALANCE_IN_PROGRESS (27) asks it to rejoin.
import { heartbeatApi } from '../../protocol/messages/heartbeat.js';
import { groupCoordinatorOf } from '../group-coordinator/group-coordinator.js';
import { defineApiHandler } from './api-handler.js';

export const heartbeatHandler = defineApiHandler(heartbeatApi, {
  async handle(body, _context, broker) {
    const errorCode = await groupCoordinatorOf(broker).heartbeat(
      body.groupId,
      body.memberId,
      body.generationId,
    );
    return { throttleTimeMs: 0, errorCode };
  },
});
