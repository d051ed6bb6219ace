import type { ClusterState } from '../coordinator/cluster-state.js';
import type { BrokerEndpoint, BrokerRegistration } from '../coordinator/zk-paths.js';
import type { Logger } from '../log/logger.js';

/** Another live broker holds /brokers/ids/<id>. */
export class BrokerIdInUseError extends Error {
  constructor(readonly brokerId: number) {
    super(
      `broker.id ${brokerId} is already registered by a live broker; pick another id or stop that broker`,
    );
    this.name = 'BrokerIdInUseError';
  }
}

const endpointKey = (e: BrokerEndpoint) => `${e.listener}|${e.host}|${e.port}`;

/**
 * Whether a registration was written by an earlier run of this very broker: same advertised endpoints,
 * all with fixed ports (with port 0 a restart listens elsewhere, so nothing identifies it).
 */
function isEarlierRunOfThisBroker(holder: BrokerRegistration, own: readonly BrokerEndpoint[]): boolean {
  if (own.length === 0 || own.some((e) => e.port === 0)) return false;
  const theirs = new Set(holder.endpoints.map(endpointKey));
  return theirs.size === own.length && own.every((e) => theirs.has(endpointKey(e)));
}

/**
 * A broker restarted right after SIGKILL finds its own registration still in ZooKeeper: the killed
 * process's session lives until its timeout, and a supervisor restarting at once would otherwise
 * crash-loop on "already registered" until then. When the holder is an earlier run of this broker
 * (same id and endpoints) this waits for that registration to go (up to two session timeouts, the
 * same bound as re-registration after an expiry); a different broker with the id is refused at once.
 */
export async function awaitEarlierRegistration(
  clusterState: ClusterState,
  brokerId: number,
  ownEndpoints: readonly BrokerEndpoint[],
  logger: Logger,
): Promise<void> {
  const holder = await clusterState.readBroker(brokerId);
  if (holder === null) return;
  if (!isEarlierRunOfThisBroker(holder, ownEndpoints)) throw new BrokerIdInUseError(brokerId);
  const timeoutMs = 2 * clusterState.session.negotiatedTimeoutMs;
  logger.warn(
    {
      brokerId,
      registeredAt: new Date(holder.timestamp).toISOString(),
      sessionTimeoutMs: clusterState.session.negotiatedTimeoutMs,
      waitingUpToMs: timeoutMs,
    },
    'broker.id is still registered by an earlier run of this broker (same endpoints); waiting for its ZooKeeper session to expire',
  );
  const started = Date.now();
  if (!(await clusterState.waitForBrokerRegistrationGone(brokerId, timeoutMs))) {
    throw new BrokerIdInUseError(brokerId);
  }
  logger.info({ brokerId, waitedMs: Date.now() - started }, 'earlier registration expired; registering');
}
