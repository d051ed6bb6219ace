// JoinGroup (key 11), versions 0-6: parks the member until the rebalance completes (group.ts).
// v4+: a member without an id first gets MEMBER_ID_REQUIRED (79) with its id, then joins with it;
// v5+ static members (group.instance.id) get theirs at once and keep their place across restarts.
// Refused with INCONSISTENT_GROUP_PROTOCOL (23) while ZooKeeper-group members hold the group id.
import { joinGroupApi } from '../../protocol/messages/join-group.js';
import { defineApiHandler } from './api-handler.js';

export const joinGroupHandler = defineApiHandler(joinGroupApi, {
  async handle(body, context, broker) {
    const version = context.header.apiVersion;
    const result = await broker.groupCoordinator.join(body.groupId, {
      memberId: body.memberId,
      groupInstanceId: body.groupInstanceId ?? null,
      clientId: context.header.clientId ?? '',
      clientHost: context.clientHost,
      sessionTimeoutMs: body.sessionTimeoutMs,
      // v0 has no rebalance timeout: Kafka uses the session timeout.
      rebalanceTimeoutMs:
        body.rebalanceTimeoutMs !== undefined && body.rebalanceTimeoutMs >= 0
          ? body.rebalanceTimeoutMs
          : body.sessionTimeoutMs,
      protocolType: body.protocolType,
      protocols: body.protocols,
      requireKnownMemberId: version >= 4,
    });
    return { throttleTimeMs: 0, ...result };
  },
});
