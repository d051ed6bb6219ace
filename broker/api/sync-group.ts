// SyncGroup (key 14), versions 0-4: the leader hands in the assignment; every member gets its share.
import { syncGroupApi } from '../../protocol/messages/sync-group.js';
import { groupCoordinatorOf } from '../group-coordinator/group-coordinator.js';
import { defineApiHandler } from './api-handler.js';

export const syncGroupHandler = defineApiHandler(syncGroupApi, {
  async handle(body, _context, broker) {
    const result = await groupCoordinatorOf(broker).sync(
      body.groupId,
      body.memberId,
      body.generationId,
      body.assignments,
    );
    return { throttleTimeMs: 0, ...result };
  },
});
