import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log/logger.js';
import type { Listener } from '../config.js';
import type { ApiRegistry } from '../api/registry.js';
import type { BrokerServices } from '../broker-services.js';
import { BrokerConnection } from './broker-connection.js';

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

  constructor(
    private readonly registry: ApiRegistry,
    private readonly logger: Logger,
  ) {}

  async listen(listeners: readonly Listener[], broker: BrokerServices): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
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
    const connection = new BrokerConnection(socket, {
      listenerName,
      clientHost: clientHostOf(socket.remoteAddress),
      maxFrameBytes: broker.config.socketRequestMaxBytes,
      idleTimeoutMs: broker.config.connectionsMaxIdleMs,
      registry: this.registry,
      broker,
      logger: this.logger.child({ remote, listener: listenerName }),
    });
    this.connections.add(connection);
    this.sockets.add(socket);
    void connection.closedPromise.then(() => {
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
