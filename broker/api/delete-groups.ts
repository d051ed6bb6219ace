// DeleteGroups (key 42), versions 0-2: only groups without members (NON_EMPTY_GROUP 68 otherwise);
// the group's ZooKeeper node and its offsets go.
import { deleteGroupsApi } from '../../protocol/messages/delete-groups.js';
import { defineApiHandler } from './api-handler.js';

export const deleteGroupsHandler = defineApiHandler(deleteGroupsApi, {
  async handle(body, _context, broker) {
    const coordinator = broker.groupCoordinator;
    const results = [];
    for (const groupId of body.groupsNames) {
      results.push({ groupId, errorCode: await coordinator.deleteGroup(groupId) });
    }
    return { throttleTimeMs: 0, results };
  },
});
