import { describe, expect, it } from 'vitest';
import { DataTree, type TreeEvent } from '../../../../coordinator/server/data-tree.js';
import { openAclUnsafe } from '../../../../coordinator/server/acl.js';
import { invalidPathReason } from '../../../../coordinator/server/paths.js';
import {
  applyCreate,
  applyDelete,
  applySetData,
  type WriteContext,
} from '../../../../coordinator/server/write-operations.js';
import { KeeperError } from '../../../../coordinator/server/protocol-constants.js';
import { thrownCode } from '../../../support/thrown-code.js';

const acl = [...openAclUnsafe];

function context(tree: DataTree, sessionId = 0n): WriteContext {
  return {
    tree,
    sessionId,
    authIds: [],
    clientAddress: '127.0.0.1',
    zxid: tree.lastZxid + 1,
    time: 1000 + tree.lastZxid,
    events: [],
  };
}

/** Applies one write like the server does: validate, apply, take the zxid. */
function write(tree: DataTree, apply: (ctx: WriteContext) => unknown, sessionId = 0n): TreeEvent[] {
  const ctx = context(tree, sessionId);
  apply(ctx);
  tree.lastZxid = ctx.zxid;
  return ctx.events;
}

const create = (tree: DataTree, path: string, flags = 0, sessionId = 0n) =>
  write(tree, (ctx) => applyCreate(ctx, 1, { path, data: Buffer.from('v'), acl, flags, ttl: -1 }), sessionId);

const codeOf = (action: () => unknown) => thrownCode(action, KeeperError);

describe('data tree', () => {
  it('starts like a fresh ZooKeeper: /zookeeper, quota and config, root cversion -1', () => {
    const tree = new DataTree();
    const root = tree.statOf(tree.get('/')!);
    expect(root).toMatchObject({ numChildren: 1, cversion: -1, czxid: 0, pzxid: 0 });
    expect([...tree.get('/zookeeper')!.children].sort()).toEqual(['config', 'quota']);
    expect(tree.statOf(tree.get('/zookeeper/config')!).aversion).toBe(-1);
  });

  it('keeps czxid, mzxid, pzxid, versions and dataLength exactly', () => {
    const tree = new DataTree();
    create(tree, '/a');
    expect(tree.statOf(tree.get('/a')!)).toMatchObject({
      czxid: 1,
      mzxid: 1,
      pzxid: 1,
      version: 0,
      cversion: 0,
      dataLength: 1,
      ctime: 1000,
      mtime: 1000,
    });
    write(tree, (ctx) => applySetData(ctx, { path: '/a', data: Buffer.from('longer'), version: 0 }));
    expect(tree.statOf(tree.get('/a')!)).toMatchObject({
      czxid: 1,
      mzxid: 2,
      pzxid: 1,
      version: 1,
      dataLength: 6,
      ctime: 1000,
      mtime: 1001,
    });
    create(tree, '/a/b');
    expect(tree.statOf(tree.get('/a')!)).toMatchObject({ mzxid: 2, pzxid: 3, cversion: 1, numChildren: 1 });
  });

  it('reports cversion as creations + deletions, while the sequential counter counts creations only', () => {
    // Measured on Apache ZooKeeper 3.8: create child → cversion 1, delete it → 2, next sequential suffix 1.
    const tree = new DataTree();
    create(tree, '/p');
    create(tree, '/p/a');
    write(tree, (ctx) => applyDelete(ctx, { path: '/p/a', version: -1 }));
    expect(tree.statOf(tree.get('/p')!)).toMatchObject({ cversion: 2, numChildren: 0, pzxid: 3 });
    create(tree, '/p/s-', 2);
    expect(tree.get('/p/s-0000000001')).toBeDefined();
    expect(tree.statOf(tree.get('/p')!).cversion).toBe(3);
  });

  it('fails with ZooKeeper codes in ZooKeeper order', () => {
    const tree = new DataTree();
    create(tree, '/e', 1, 5n);
    const createCode = (path: string, flags = 0) =>
      codeOf(() => applyCreate(context(tree), 1, { path, data: null, acl, flags, ttl: -1 }));
    expect(createCode('/missing/x')).toBe(-101);
    expect(createCode('/e')).toBe(-110);
    expect(createCode('/e/child')).toBe(-108);
    expect(createCode('bad')).toBe(-8);
    expect(createCode('/x', 9)).toBe(-8);
    expect(
      codeOf(() => applyCreate(context(tree), 1, { path: '/x', data: null, acl: [], flags: 0, ttl: -1 })),
    ).toBe(-114);
    expect(codeOf(() => applyDelete(context(tree), { path: '/zookeeper', version: -1 }))).toBe(-8);
    expect(codeOf(() => applyDelete(context(tree), { path: '/e', version: 3 }))).toBe(-103);
    expect(codeOf(() => applyDelete(context(tree), { path: '/', version: -1 }))).toBe(-8);
    expect(codeOf(() => applyDelete(context(tree), { path: '/zookeeper/quota', version: -1 }))).toBe(-8);
  });

  it('undo restores the tree exactly (multi rollback)', () => {
    const tree = new DataTree();
    create(tree, '/p');
    create(tree, '/p/old');
    const before = tree.serialize();
    const ctx = context(tree);
    const undos = [
      applyCreate(ctx, 1, { path: '/p/s-', data: null, acl, flags: 2, ttl: -1 }).undo,
      applySetData(ctx, { path: '/p', data: Buffer.from('x'), version: -1 }).undo,
      applyDelete(ctx, { path: '/p/old', version: -1 }).undo,
    ];
    for (const undo of undos.reverse()) undo();
    expect(tree.serialize().equals(before)).toBe(true);
  });

  it('closeSession deletes exactly that session’s ephemerals, with their watch events', () => {
    const tree = new DataTree();
    create(tree, '/p');
    create(tree, '/p/mine', 1, 7n);
    create(tree, '/p/other', 1, 8n);
    const events: TreeEvent[] = [];
    tree.apply({ zxid: tree.lastZxid + 1, time: 5, txn: { type: 'closeSession', sessionId: 7n } }, events);
    expect(tree.get('/p/mine')).toBeUndefined();
    expect(tree.get('/p/other')).toBeDefined();
    expect(events).toEqual([
      { type: 2, path: '/p/mine' },
      { type: 4, path: '/p' },
    ]);
    expect(tree.ephemeralCount).toBe(1);
  });

  it('survives serialize/deserialize with stats, ACLs, sessions and ephemerals', () => {
    const tree = new DataTree();
    tree.apply(
      {
        zxid: 1,
        time: 1,
        txn: { type: 'createSession', sessionId: 9n, timeoutMs: 4000, passwd: Buffer.alloc(16, 2) },
      },
      [],
    );
    create(tree, '/a');
    create(tree, '/a/b', 2);
    create(tree, '/a/e', 1, 9n);
    write(tree, (ctx) => applyDelete(ctx, { path: '/a/b0000000000', version: -1 }));
    const copy = DataTree.deserialize(tree.serialize());
    expect(copy.lastZxid).toBe(tree.lastZxid);
    for (const path of ['/', '/a', '/a/e', '/zookeeper', '/zookeeper/config']) {
      expect(copy.statOf(copy.get(path)!)).toEqual(tree.statOf(tree.get(path)!));
      expect(copy.get(path)!.acl).toEqual(tree.get(path)!.acl);
    }
    expect([...copy.ephemeralsOf(9n)]).toEqual(['/a/e']);
    expect(copy.sessions.get(9n)?.timeoutMs).toBe(4000);
    const damaged = tree.serialize();
    damaged[10]! ^= 1;
    expect(() => DataTree.deserialize(damaged)).toThrow();
  });

  it('validates paths like PathUtils', () => {
    for (const ok of ['/', '/a', '/a/b', '/a.b', '/..a']) expect(invalidPathReason(ok)).toBeNull();
    for (const bad of ['', 'a', '/a/', '//a', '/a//b', '/a/.', '/a/..', '/./a', '/a\u0000', '/a\u0001']) {
      expect(invalidPathReason(bad)).not.toBeNull();
    }
  });
});
