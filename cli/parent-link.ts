import { Socket } from 'node:net';

/**
 * The link between `sluice dev` and the brokers it starts: dev hands each broker the read end of a
 * pipe (this file descriptor, named in this variable). The kernel closes the write end when dev dies
 * in any way, SIGKILL included, and the broker sees end-of-file and stops. Only dev sets it up: a
 * broker started by a user or a service manager has no link and outlives the shell that started it.
 */
export const PARENT_LINK_ENV = 'SLUICE_PARENT_LINK_FD';

/** The child's fd 3 (after stdin, stdout, stderr) carries the link. */
const LINK_FD = 3;

/** What the supervising process adds to `spawn`'s options: a fourth stdio pipe and the variable naming it. */
export function parentLinkSpawn(): { stdio: 'pipe'; env: Record<string, string> } {
  return { stdio: 'pipe', env: { [PARENT_LINK_ENV]: String(LINK_FD) } };
}

/**
 * In a child: calls `onParentGone` once when the process that set up the link has ended. Does nothing
 * (returns false) without a link. The link does not keep the process alive by itself.
 */
export function watchParentLink(onParentGone: () => void): boolean {
  const fd = Number(process.env[PARENT_LINK_ENV]);
  // Not inherited by anything this process starts.
  delete process.env[PARENT_LINK_ENV];
  if (!Number.isInteger(fd) || fd < 3) return false;
  const link = new Socket({ fd, readable: true, writable: false });
  let fired = false;
  const gone = () => {
    if (fired) return;
    fired = true;
    onParentGone();
  };
  link.on('data', () => undefined);
  link.once('end', gone);
  link.once('close', gone);
  link.once('error', gone);
  link.unref();
  return true;
}
