// SyncGroup (key 14), versions 0-4: the leader hands in the assignment; every member gets its share.
// v3+: a static member (group.instance.id) whose instance now belongs to a newer incarnation is fenced (82).
import { syncGroupApi } from '../../protocol/messages/sync-group.js';
import { defineApiHandler } from './api-handler.js';

export const syncGroupHandler = defineApiHandler(syncGroupApi, {
  async handle(body, context, broker) {
    const result = await broker.groupCoordinator.sync(
      body.groupId,
      body.memberId,
      body.generationId,
      body.assignments,
      context.header.apiVersion >= 3 ? (body.groupInstanceId ?? null) : null,
    );
    return { throttleTimeMs: 0, ...result };
  },
});
