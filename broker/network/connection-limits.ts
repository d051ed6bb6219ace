/** The connection limits of a broker (Kafka's ConnectionQuotas, without its rate limits). */
export interface ConnectionLimitConfig {
  /** max.connections: connections at once (the inter-broker listener's are not counted when there are others). */
  maxConnections: number;
  /** max.connections.per.ip, and its per-address overrides. */
  maxConnectionsPerIp: number;
  maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
}

/**
 * Counts open connections, broker-wide and per IP address, and says whether a new one is allowed.
 * Kafka exempts the inter-broker listener from max.connections (when other listeners exist) so
 * replication keeps working when clients fill the broker; the per-IP limit applies to every listener.
 * Kafka's acceptor waits for a slot under max.connections; here a connection beyond either limit is
 * closed at once (as Kafka does for the per-IP limit), so a flood never queues up.
 */
export class ConnectionLimits {
  private clientConnections = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly config: ConnectionLimitConfig) {}

  /** Counts a new connection, or returns why it is refused (then nothing is counted). */
  admit(ip: string, interBroker: boolean): string | null {
    const fromIp = this.perIp.get(ip) ?? 0;
    const ipLimit = this.config.maxConnectionsPerIpOverrides.get(ip) ?? this.config.maxConnectionsPerIp;
    if (fromIp >= ipLimit) return `${ip} has ${fromIp} connections (max.connections.per.ip ${ipLimit})`;
    if (!interBroker && this.clientConnections >= this.config.maxConnections) {
      return `${this.clientConnections} connections open (max.connections ${this.config.maxConnections})`;
    }
    this.perIp.set(ip, fromIp + 1);
    if (!interBroker) this.clientConnections++;
    return null;
  }

  closed(ip: string, interBroker: boolean): void {
    const fromIp = (this.perIp.get(ip) ?? 1) - 1;
    if (fromIp <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, fromIp);
    if (!interBroker) this.clientConnections--;
  }
}
