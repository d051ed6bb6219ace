import type { ClusterState } from './cluster-state.js';
import { isZooKeeperError } from './zk-errors.js';
import { assertLegalName, zkPaths } from './zk-paths.js';

/**
 * A group id is served by one kind of group at a time: a ZooKeeper group (members in
 * /consumers/<g>/ids) or a broker-coordinated one (Kafka-protocol members held by the group's
 * coordinator). Otherwise both would take every partition and each record would be consumed twice.
 *
 * While a coordinator has members in a group it keeps an ephemeral
 * /consumers/<g>/broker-coordinated/<brokerId> (gone with the broker's session if it dies). Each side
 * writes its own node first and then looks for the other's, so of two starting at once at least one
 * sees the other and refuses.
 */
export const groupKindPaths = {
  brokerCoordinated: (group: string) => `/consumers/${group}/broker-coordinated`,
  brokerCoordinatedBy: (group: string, brokerId: number) =>
    `/consumers/${group}/broker-coordinated/${brokerId}`,
} as const;

export type GroupKind = 'zookeeper' | 'broker-coordinated';

/** The group id is in use by the other kind of group. */
export class GroupKindConflictError extends Error {
  override readonly name = 'GroupKindConflictError';
  constructor(
    readonly group: string,
    readonly liveKind: GroupKind,
  ) {
    super(
      liveKind === 'broker-coordinated'
        ? `group ${group} is in use by a broker-coordinated group (Kafka-protocol members, e.g. kafkajs or librdkafka); a ZooKeeper consumer cannot join it`
        : `group ${group} is in use by a ZooKeeper consumer group (sluice consume --group members); a Kafka-protocol member cannot join it`,
    );
  }
}

/** Marks the group as having members on coordinator `brokerId` (ephemeral; absent-parent safe). */
export async function markBrokerCoordinated(
  state: ClusterState,
  group: string,
  brokerId: number,
): Promise<void> {
  assertLegalName('group', group);
  await state.session.ensurePath(groupKindPaths.brokerCoordinated(group));
  try {
    await state.session.create(groupKindPaths.brokerCoordinatedBy(group, brokerId), null, 'ephemeral');
  } catch (error) {
    if (!isZooKeeperError(error, 'NODEEXISTS')) throw error;
  }
}

export async function unmarkBrokerCoordinated(
  state: ClusterState,
  group: string,
  brokerId: number,
): Promise<void> {
  try {
    await state.session.delete(groupKindPaths.brokerCoordinatedBy(group, brokerId));
  } catch (error) {
    if (!isZooKeeperError(error, 'NONODE')) throw error;
  }
}

/** Brokers coordinating live members of the group (usually none or one). */
export async function brokerCoordinators(state: ClusterState, group: string): Promise<number[]> {
  try {
    return (await state.session.getChildren(groupKindPaths.brokerCoordinated(group))).children.map(Number);
  } catch (error) {
    if (isZooKeeperError(error, 'NONODE')) return [];
    throw error;
  }
}

/** Live ZooKeeper-group members, listed without creating the group's nodes. */
export async function zooKeeperMemberIds(state: ClusterState, group: string): Promise<string[]> {
  try {
    return (await state.session.getChildren(zkPaths.groupMembers(group))).children;
  } catch (error) {
    if (isZooKeeperError(error, 'NONODE')) return [];
    throw error;
  }
}
