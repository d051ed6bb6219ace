import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay a test can cut and restore, to drop a client's connection without touching the
 * client or the server (not a mock: bytes pass through unchanged). While cut, new connections are
 * accepted and closed at once, which the client sees as a failed connect and retries.
 */
export interface TcpProxy {
  port: number;
  /** host:port string for a client. */
  address: string;
  /** Closes every relayed connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Stops relaying server → client bytes on current connections (requests still go through). */
  holdReplies(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let isCut = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((downstream) => {
    if (isCut) {
      downstream.destroy();
      return;
    }
    const upstream = connect({ host: targetHost, port: targetPort });
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', teardown);
    upstream.on('error', teardown);
    downstream.on('close', teardown);
    upstream.on('close', teardown);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: address.port,
    address: `127.0.0.1:${address.port}`,
    cut() {
      isCut = true;
      dropAll();
    },
    restore() {
      isCut = false;
    },
    holdReplies() {
      for (const [downstream, upstream] of pairs) {
        upstream.unpipe(downstream);
        upstream.pause();
      }
    },
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
