// LeaveGroup (key 13), versions 0-4: one member (v0-2) or a batch of members (v3+) leave; the rest rebalance.
// v3+ names static members by instance id; another incarnation's member id is FENCED_INSTANCE_ID (82).
import { leaveGroupApi } from '../../protocol/messages/leave-group.js';
import { defineApiHandler } from './api-handler.js';

export const leaveGroupHandler = defineApiHandler(leaveGroupApi, {
  async handle(body, context, broker) {
    const batched = context.header.apiVersion >= 3;
    const leaving = batched
      ? (body.members ?? []).map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId ?? null,
        }))
      : [{ memberId: body.memberId ?? '', groupInstanceId: null }];
    const result = await broker.groupCoordinator.leave(body.groupId, leaving);
    if (!batched) return { throttleTimeMs: 0, errorCode: result.errorCode || (result.members[0] ?? 0) };
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      members: leaving.map((m, i) => ({ ...m, errorCode: result.members[i] ?? result.errorCode })),
    };
  },
});
