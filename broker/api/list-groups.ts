// ListGroups (key 16), versions 0-4: the groups this broker coordinates (v4: filtered by state).
import { listGroupsApi } from '../../protocol/messages/list-groups.js';
import { defineApiHandler } from './api-handler.js';

export const listGroupsHandler = defineApiHandler(listGroupsApi, {
  async handle(body, _context, broker) {
    const filter = (body.statesFilter ?? []).map((s) => s.toLowerCase());
    const groups = (await broker.groupCoordinator.listGroups())
      .filter((g) => filter.length === 0 || filter.includes(g.state.toLowerCase()))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }));
    return { throttleTimeMs: 0, errorCode: 0, groups };
  },
});
