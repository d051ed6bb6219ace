// DescribeGroups (key 15), versions 0-5: state, protocol, members with client ids and assignments.
import { describeGroupsApi } from '../../protocol/messages/describe-groups.js';
import { defineApiHandler } from './api-handler.js';

export const describeGroupsHandler = defineApiHandler(describeGroupsApi, {
  async handle(body, _context, broker) {
    const coordinator = broker.groupCoordinator;
    const groups = [];
    for (const groupId of body.groups) {
      const d = await coordinator.describeGroup(groupId);
      groups.push({
        errorCode: d.errorCode,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocolName,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: -2147483648,
      });
    }
    return { throttleTimeMs: 0, groups };
  },
});
