import { readdirSync, readFileSync } from 'node:fs';

/** Who started whom, read from /proc (Linux): tests check that a command leaves no process behind. */

/** pid → parent pid for every process now running. */
function parentPids(): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised command name) is the parent pid.
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return parentOf;
}

/** Direct children of a process. */
export function childrenOf(pid: number): number[] {
  return [...parentPids()].filter(([, ppid]) => ppid === pid).map(([child]) => child);
}

/** Every descendant of a process. */
export function descendantsOf(root: number): number[] {
  const parentOf = parentPids();
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf)
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
  }
  return found;
}

/** The command line, arguments joined by spaces ('' once the process is gone). */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
