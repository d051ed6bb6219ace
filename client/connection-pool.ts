import { componentLogger } from '../log/logger.js';
import {
  KafkaConnection,
  formatAddress,
  type BrokerAddress,
  type KafkaConnectionOptions,
} from './kafka-connection.js';

const log = componentLogger('connection-pool');

/**
 * One connection per broker address, opened on first use and replaced after it closes. Concurrent
 * callers asking for the same broker share one connect attempt.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<KafkaConnection>>();
  private closed = false;

  constructor(private readonly options: KafkaConnectionOptions = {}) {}

  /** An open connection to `broker` (negotiated), connecting if needed. */
  async get(broker: BrokerAddress): Promise<KafkaConnection> {
    if (this.closed) throw new Error('connection pool is closed');
    const key = formatAddress(broker);
    const existing = this.connections.get(key);
    if (existing) {
      const connection = await existing.catch(() => undefined);
      if (connection?.isOpen) return connection;
      if (this.connections.get(key) === existing) this.connections.delete(key);
      return this.get(broker);
    }
    const opening = KafkaConnection.connect(broker, this.options);
    this.connections.set(key, opening);
    try {
      const connection = await opening;
      connection.once('close', () => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      });
      if (this.closed) connection.close();
      return connection;
    } catch (error) {
      if (this.connections.get(key) === opening) this.connections.delete(key);
      throw error;
    }
  }

  /** Drops the connection to `broker` (after an error that leaves it unusable). */
  async evict(broker: BrokerAddress): Promise<void> {
    const key = formatAddress(broker);
    const existing = this.connections.get(key);
    this.connections.delete(key);
    (await existing?.catch(() => undefined))?.close();
  }

  /** Closes every connection; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    const connections = await Promise.all(all.map((c) => c.catch(() => undefined)));
    for (const connection of connections) connection?.close();
    log.debug({ closed: connections.length }, 'pool closed');
  }
}
