import { describe, expect, it } from 'vitest';
import { checkAcl, digestId, fixupAcl } from '../../../../coordinator/server/acl.js';
import { KeeperError } from '../../../../coordinator/server/protocol-constants.js';
import { thrownCode } from '../../../support/thrown-code.js';

const code = (action: () => unknown) => thrownCode(action, KeeperError);

describe('ACLs', () => {
  it('computes digest ids exactly like DigestAuthenticationProvider', () => {
    // `java org.apache.zookeeper.server.auth.DigestAuthenticationProvider bob:secret` (ZooKeeper 3.8)
    expect(digestId('bob:secret')).toBe('bob:fyVmFCwVbTJYrznoSu1koqYEYF0=');
  });

  it('grants by world, digest and ip, and refuses with NOAUTH otherwise', () => {
    const bob = { scheme: 'digest', id: digestId('bob:secret') };
    const acl = [
      { perms: 1, id: { scheme: 'world', id: 'anyone' } },
      { perms: 31, id: bob },
      { perms: 2, id: { scheme: 'ip', id: '10.0.0.0/8' } },
    ];
    expect(code(() => checkAcl(acl, 1, [], '127.0.0.1'))).toBeUndefined();
    expect(code(() => checkAcl(acl, 8, [], '127.0.0.1'))).toBe(-102);
    expect(code(() => checkAcl(acl, 8, [bob], '127.0.0.1'))).toBeUndefined();
    expect(code(() => checkAcl(acl, 2, [], '::ffff:10.1.2.3'))).toBeUndefined();
    expect(code(() => checkAcl(acl, 2, [], '11.1.2.3'))).toBe(-102);
    expect(code(() => checkAcl([], 31, [], '127.0.0.1'))).toBeUndefined();
  });

  it('fixes up request ACLs: auth expands to the caller’s ids, bad entries are INVALIDACL', () => {
    const bob = { scheme: 'digest', id: digestId('bob:secret') };
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [bob])).toEqual([
      { perms: 31, id: bob },
    ]);
    expect(code(() => fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], []))).toBe(-114);
    expect(code(() => fixupAcl([], []))).toBe(-114);
    expect(code(() => fixupAcl([{ perms: 31, id: { scheme: 'world', id: 'someone' } }], []))).toBe(-114);
    expect(code(() => fixupAcl([{ perms: 31, id: { scheme: 'nope', id: 'x' } }], []))).toBe(-114);
    expect(code(() => fixupAcl([{ perms: 31, id: { scheme: 'ip', id: '300.1.1.1' } }], []))).toBe(-114);
    const twice = { perms: 1, id: { scheme: 'world', id: 'anyone' } };
    expect(fixupAcl([twice, twice], [])).toEqual([twice]);
  });
});
