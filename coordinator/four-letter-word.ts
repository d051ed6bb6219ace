import { connect } from 'node:net';

/**
 * Sends one of ZooKeeper's four-letter words (`ruok`, `srvr`, `mntr`, …) to host:port and returns the
 * whole answer. The server closes the connection after answering, so the answer ends at EOF.
 */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to '${word}' from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The `Mode:` line of a `srvr` answer (leader, follower, standalone), or undefined if not serving. */
export function serverMode(srvrAnswer: string): string | undefined {
  const match = /^Mode: (\S+)/m.exec(srvrAnswer);
  return match?.[1];
}
