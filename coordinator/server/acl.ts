/** ACL checks and the schemes the server understands: world, digest, ip and auth (ZooKeeper's semantics). */
import { createHash } from 'node:crypto';
import { ErrorCode, KeeperError, Perm } from './protocol-constants.js';
import type { Acl, Id } from './records.js';

export const openAclUnsafe: readonly Acl[] = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
export const readAclUnsafe: readonly Acl[] = [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }];

/** digest ids are `user:base64(sha1("user:password"))`, exactly like DigestAuthenticationProvider. */
export function digestId(userColonPassword: string): string {
  const colon = userColonPassword.indexOf(':');
  const user = colon < 0 ? userColonPassword : userColonPassword.slice(0, colon);
  return `${user}:${createHash('sha1').update(userColonPassword).digest('base64')}`;
}

function ipMatches(pattern: string, address: string): boolean {
  const [base, bitsText] = pattern.split('/');
  const clientAddress = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (bitsText === undefined) return base === clientAddress;
  const toInt = (ip: string) => ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
  const bits = Number(bitsText);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(base ?? '') || !/^\d+\.\d+\.\d+\.\d+$/.test(clientAddress)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(base ?? '') & mask) >>> 0 === (toInt(clientAddress) & mask) >>> 0;
}

/** Throws NOAUTH unless one of `acl`'s entries grants any bit of `perm` to one of the caller's ids. */
export function checkAcl(
  acl: readonly Acl[],
  perm: number,
  authIds: readonly Id[],
  clientAddress: string,
): void {
  if (acl.length === 0) return;
  if (authIds.some((id) => id.scheme === 'super')) return;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return;
    if (scheme === 'ip' && ipMatches(id, clientAddress)) return;
    if (authIds.some((auth) => auth.scheme === scheme && auth.id === id)) return;
  }
  throw new KeeperError(ErrorCode.noAuth);
}

function validIp(id: string): boolean {
  const [base, bits] = id.split('/');
  const octets = (base ?? '').split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return false;
  return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
}

/** ZooKeeper's fixupACL: validates an ACL from a request and expands `auth` entries to the caller's ids. */
export function fixupAcl(acl: readonly Acl[], authIds: readonly Id[]): Acl[] {
  if (acl.length === 0) throw new KeeperError(ErrorCode.invalidACL);
  const result: Acl[] = [];
  const add = (entry: Acl) => {
    if (
      !result.some(
        (a) => a.perms === entry.perms && a.id.scheme === entry.id.scheme && a.id.id === entry.id.id,
      )
    ) {
      result.push(entry);
    }
  };
  for (const entry of acl) {
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') add(entry);
    else if (scheme === 'auth') {
      const digests = authIds.filter((a) => a.scheme !== 'ip' && a.scheme !== 'super');
      if (digests.length === 0) throw new KeeperError(ErrorCode.invalidACL);
      for (const auth of digests) add({ perms: entry.perms, id: { scheme: auth.scheme, id: auth.id } });
    } else if (scheme === 'digest' && id.split(':').length === 2) add(entry);
    else if (scheme === 'ip' && validIp(id)) add(entry);
    else throw new KeeperError(ErrorCode.invalidACL);
  }
  return result;
}
