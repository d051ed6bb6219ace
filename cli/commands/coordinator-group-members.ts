import { KafkaClient } from '../../client/kafka-client.js';
import { ApiKey } from '../../protocol/index.js';

export interface CoordinatorMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  groupInstanceId: string | null;
}

export interface CoordinatorGroupView {
  coordinator: number;
  state: string;
  protocol: string;
  members: CoordinatorMember[];
}

/**
 * The broker-coordinated side of a group (kafkajs, librdkafka, … members), asked of the group's
 * coordinator with FindCoordinator + DescribeGroups. Null when no broker answers or the group is
 * unknown to the coordinator, so `groups describe` still works with ZooKeeper alone.
 */
export async function describeCoordinatorGroup(
  zookeeper: string,
  group: string,
): Promise<CoordinatorGroupView | null> {
  let client: KafkaClient | undefined;
  try {
    client = await KafkaClient.create({ zookeeper, requestTimeoutMs: 5_000 });
    const any = await client.anyConnection();
    const found = await any.request(ApiKey.FindCoordinator, {
      key: group,
      keyType: 0,
      coordinatorKeys: [group],
    });
    const nodeId = found.coordinators?.[0]?.nodeId ?? found.nodeId ?? -1;
    const errorCode = found.coordinators?.[0]?.errorCode ?? found.errorCode ?? 0;
    if (errorCode !== 0 || nodeId < 0) return null;
    const connection = await client.connectionTo(nodeId);
    const described = await connection.request(ApiKey.DescribeGroups, { groups: [group] });
    const g = described.groups[0];
    if (!g || g.errorCode !== 0 || g.groupState === 'Dead') return null;
    return {
      coordinator: nodeId,
      state: g.groupState,
      protocol: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        groupInstanceId: m.groupInstanceId ?? null,
      })),
    };
  } catch {
    return null;
  } finally {
    await client?.close().catch(() => undefined);
  }
}
