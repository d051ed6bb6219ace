import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import type { Listener } from '../config.js';
import type { ApiRegistry } from '../api/registry.js';
import type { BrokerServices } from '../broker-services.js';
import { BrokerConnection } from './broker-connection.js';
import { ConnectionLimits } from './connection-limits.js';
import { RequestMemoryPool } from './request-memory-pool.js';

export interface BoundListener {
  name: string;
  host: string;
  /** The port actually bound (differs from the configured one when that was 0). */
  port: number;
}

/** A TCP server per configured listener, each handing connections to BrokerConnection. */
export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<BrokerConnection>();
  private readonly sockets = new Set<Socket>();
  private memoryPool: RequestMemoryPool | null = null;
  private limits: ConnectionLimits | null = null;

  constructor(
    private readonly registry: ApiRegistry,
    private readonly logger: Logger,
  ) {}

  async listen(listeners: readonly Listener[], broker: BrokerServices): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    this.memoryPool = new RequestMemoryPool(broker.config.queuedMaxRequestBytes);
    this.limits = new ConnectionLimits(broker.config);
    for (const listener of listeners) {
      const server = createServer((socket) => this.accept(socket, listener.name, broker));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener.port, listener.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (error) =>
        this.logger.error({ err: error, listener: listener.name }, 'listener error'),
      );
      this.servers.push(server);
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : listener.port;
      bound.push({ name: listener.name, host: listener.host, port });
    }
    return bound;
  }

  private accept(socket: Socket, listenerName: string, broker: BrokerServices): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const clientHost = clientHostOf(socket.remoteAddress);
    const ip = clientHost.slice(1);
    // Kafka protects the inter-broker listener from max.connections only when there are others.
    const interBroker =
      broker.config.listeners.length > 1 && listenerName === broker.config.interBrokerListenerName;
    const refused = this.limits!.admit(ip, interBroker);
    if (refused !== null) {
      // Kafka closes a connection beyond a limit at once, with a log line.
      this.logger.info({ remote, listener: listenerName, reason: refused }, 'connection refused');
      socket.destroy();
      return;
    }
    const connection = new BrokerConnection(socket, {
      listenerName,
      clientHost,
      maxFrameBytes: broker.config.socketRequestMaxBytes,
      idleTimeoutMs: broker.config.connectionsMaxIdleMs,
      requestReadTimeoutMs: broker.config.requestReadTimeoutMs,
      memoryPool: this.memoryPool!,
      registry: this.registry,
      broker,
      logger: this.logger.child({ remote, listener: listenerName }),
    });
    this.connections.add(connection);
    this.sockets.add(socket);
    void connection.closedPromise.then(() => {
      this.limits!.closed(ip, interBroker);
      this.connections.delete(connection);
      this.sockets.delete(socket);
    });
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const stopped = this.servers.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    for (const connection of this.connections) connection.close('broker shutting down', 'debug');
    await Promise.all(stopped);
  }
}

/** Kafka's form of a client address (Java's InetAddress.toString: "/" and the IP, IPv4 unmapped). */
export function clientHostOf(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '';
  return '/' + (address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address);
}
