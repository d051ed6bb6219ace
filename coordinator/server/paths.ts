/** ZooKeeper path rules (PathUtils.validatePath) and path arithmetic. */

/** Nodes the server owns: clients may read them but never delete them. */
export const specialPaths: ReadonlySet<string> = new Set([
  '/',
  '/zookeeper',
  '/zookeeper/quota',
  '/zookeeper/config',
]);

/** Returns why `path` is not a valid znode path, or null when it is. */
export function invalidPathReason(path: string): string | null {
  if (path.length === 0) return 'path length must be > 0';
  if (path[0] !== '/') return 'path must start with /';
  if (path.length === 1) return null;
  if (path[path.length - 1] === '/') return 'path must not end with /';
  let previous = '/';
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `null character at ${i}`;
    if (c === 0x2f /* / */ && previous === '/') return `empty node name at ${i}`;
    if (c === 0x2e /* . */ && previous === '/') {
      // "." and ".." are not allowed as whole node names.
      const next = i + 1 < path.length ? path[i + 1] : '/';
      const afterNext = i + 2 < path.length ? path[i + 2] : '/';
      if (next === '/' || (next === '.' && afterNext === '/')) return `relative path at ${i}`;
    }
    if (
      (c > 0x00 && c <= 0x1f) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character at ${i}`;
    }
    previous = path[i] as string;
  }
  return null;
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
