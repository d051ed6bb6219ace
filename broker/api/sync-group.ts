// SyncGroup (key 14), versions 0-4: the leader hands in the assignment; every member gets its share.
import { syncGroupRequest } from '../../protocol/messages/sync-group.js';
import { defineApiHandler } from './api-handler.js';

export const syncGroupHandler = defineApiHandler({
  apiKey: 14,
  minVersion: syncGroupRequest.versions[0],
  maxVersion: syncGroupRequest.versions[1],
  async handle(body, _context, broker) {
    const result = await broker.groupCoordinator.sync(
      body.groupId,
      body.memberId,
      body.generationId,
      body.assignments,
    );
    return { throttleTimeMs: 0, ...result };
  },
});
