import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fourLetterWord, serverMode } from '../../coordinator/four-letter-word.js';
import { ZooKeeperMultiError } from '../../coordinator/zk-errors.js';
import type { WatchEvent, ZooKeeperSession } from '../../coordinator/zk-session.js';
import { waitFor } from '../support/wait.js';
import { EventLog, expectZooKeeperError } from './support/expect-zk.js';
import {
  CONFORMANCE_TARGETS,
  SessionPool,
  startTarget,
  uniqueRoot,
  type ZooKeeperTarget,
} from './support/zk-targets.js';

/**
 * The coordinator conformance suite: the same assertions against the embedded server and a 3-node
 * Apache ZooKeeper 3.8 ensemble. Expected values were taken from Apache ZooKeeper, which is the reference.
 *
 * In an ensemble two sessions may sit on different servers, and a follower may apply a write a moment
 * after the leader acknowledged it to the writer; reads by a second session therefore wait for the write
 * to show (watch events are ordered per server and need no waiting).
 */

const SEQ = /^\d{10}$/;

describe.each(CONFORMANCE_TARGETS)('ZooKeeper conformance on %s', (targetName) => {
  let target: ZooKeeperTarget;
  const pool = new SessionPool(() => target.connectionString);

  beforeAll(async () => {
    target = await startTarget(targetName);
  });
  afterEach(() => pool.closeAll());
  afterAll(() => target?.close());

  async function visible(session: ZooKeeperSession, path: string) {
    return waitFor(() => session.exists(path), { what: `${path} visible`, timeoutMs: 5_000 });
  }

  describe('create modes and sequential naming', () => {
    it('creates persistent and ephemeral nodes with their owners', async () => {
      const a = await pool.connect();
      const b = await pool.connect();
      const root = await uniqueRoot(a, 'modes');

      expect(await a.create(`${root}/p`, Buffer.from('data'))).toBe(`${root}/p`);
      expect(await a.create(`${root}/e`, Buffer.from('eph'), 'ephemeral')).toBe(`${root}/e`);

      const persistent = await a.getData(`${root}/p`);
      expect(persistent.data.toString()).toBe('data');
      expect(persistent.stat.ephemeralOwner).toBe(0n);

      const ephemeral = await visible(b, `${root}/e`);
      expect(ephemeral.ephemeralOwner).toBe(a.sessionId);
      expect(ephemeral.ephemeralOwner).not.toBe(b.sessionId);
      expect((await b.getChildren(root)).children.sort()).toEqual(['e', 'p']);
    });

    it('refuses children under an ephemeral node', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'ephkids');
      await a.create(`${root}/e`, null, 'ephemeral');
      await expectZooKeeperError(a.create(`${root}/e/child`), 'NOCHILDRENFOREPHEMERALS', `${root}/e/child`);
    });

    it('names sequential nodes %010d from the parent cversion', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'seq');

      const first = await a.create(`${root}/item-`, null, 'persistent-sequential');
      const second = await a.create(`${root}/item-`, null, 'persistent-sequential');
      expect(first).toBe(`${root}/item-0000000000`);
      expect(second).toBe(`${root}/item-0000000001`);
      expect(first.slice(-10)).toMatch(SEQ);

      // A plain child also advances the counter: the suffix is the parent's cversion.
      await a.create(`${root}/plain`);
      const third = await a.create(`${root}/other-`, null, 'ephemeral-sequential');
      expect(third).toBe(`${root}/other-0000000003`);
      expect((await a.exists(third))?.ephemeralOwner).toBe(a.sessionId);
    });

    it('counts sequential names by child creates, while Stat.cversion also counts deletes', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'seqdel');
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await a.create(`${root}/n-`, null, 'persistent-sequential'));
      for (const path of made) await a.delete(path);
      const parent = (await a.exists(root))!;
      // ZooKeeper keeps a count of child creates and reports cversion = 2 × creates − numChildren.
      expect(parent).toMatchObject({ numChildren: 0, cversion: 6 });
      expect(await a.create(`${root}/n-`, null, 'persistent-sequential')).toBe(`${root}/n-0000000003`);

      await a.create(`${root}/plain`);
      await a.delete(`${root}/plain`);
      await a.multi([
        { type: 'create', path: `${root}/m` },
        { type: 'delete', path: `${root}/m` },
      ]);
      expect((await a.exists(root))!).toMatchObject({ numChildren: 1, cversion: 11 });
      expect(await a.create(`${root}/n-`, null, 'ephemeral-sequential')).toBe(`${root}/n-0000000006`);
    });
  });

  describe('errors', () => {
    it('NODEEXISTS on a duplicate create', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'exists');
      await a.create(`${root}/x`);
      await expectZooKeeperError(a.create(`${root}/x`), 'NODEEXISTS', `${root}/x`);
      await expectZooKeeperError(a.create(`${root}/x`, null, 'ephemeral'), 'NODEEXISTS');
    });

    it('NONODE for every operation on a missing node or parent', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'nonode');
      const missing = `${root}/missing`;
      await expectZooKeeperError(a.create(`${missing}/child`), 'NONODE', `${missing}/child`);
      await expectZooKeeperError(a.getData(missing), 'NONODE', missing);
      await expectZooKeeperError(a.setData(missing, Buffer.from('x')), 'NONODE', missing);
      await expectZooKeeperError(a.delete(missing), 'NONODE', missing);
      await expectZooKeeperError(a.getChildren(missing), 'NONODE', missing);
      expect(await a.exists(missing)).toBeNull();
    });

    it('NOTEMPTY when deleting a node with children', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'notempty');
      await a.create(`${root}/parent`);
      await a.create(`${root}/parent/child`);
      await expectZooKeeperError(a.delete(`${root}/parent`), 'NOTEMPTY', `${root}/parent`);
      await a.delete(`${root}/parent/child`);
      await a.delete(`${root}/parent`);
      expect(await a.exists(`${root}/parent`)).toBeNull();
    });

    it('checks versions on setData and delete (BADVERSION)', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'version');
      const path = `${root}/v`;
      await a.create(path, Buffer.from('0'));

      const v1 = await a.setData(path, Buffer.from('1'), 0);
      expect(v1.version).toBe(1);
      await expectZooKeeperError(a.setData(path, Buffer.from('stale'), 0), 'BADVERSION', path);
      expect((await a.getData(path)).data.toString()).toBe('1');
      const v2 = await a.setData(path, Buffer.from('2'), -1);
      expect(v2.version).toBe(2);
      await expectZooKeeperError(a.delete(path, 1), 'BADVERSION', path);
      await a.delete(path, 2);
      expect(await a.exists(path)).toBeNull();
    });
  });

  describe('Stat', () => {
    it('starts a new node with equal zxids and zero versions', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'stat');
      const before = Date.now();
      await a.create(`${root}/n`, Buffer.from('hello'));
      const stat = (await a.exists(`${root}/n`))!;
      expect(stat.czxid).toBeGreaterThan(0n);
      expect(stat.mzxid).toBe(stat.czxid);
      expect(stat.pzxid).toBe(stat.czxid);
      expect(stat).toMatchObject({
        version: 0,
        cversion: 0,
        aversion: 0,
        ephemeralOwner: 0n,
        dataLength: 5,
        numChildren: 0,
      });
      expect(stat.mtime).toBe(stat.ctime);
      expect(Math.abs(stat.ctime - before)).toBeLessThan(60_000);
    });

    it('moves mzxid and version on setData, leaving czxid and pzxid', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'statset');
      const path = `${root}/n`;
      await a.create(path, Buffer.from('abc'));
      const created = (await a.exists(path))!;
      const set = await a.setData(path, Buffer.from('abcdefgh'));
      expect(set.czxid).toBe(created.czxid);
      expect(set.mzxid).toBeGreaterThan(created.mzxid);
      expect(set.pzxid).toBe(created.pzxid);
      expect(set.version).toBe(1);
      expect(set.dataLength).toBe(8);
      expect(set.ctime).toBe(created.ctime);
      expect(set.mtime).toBeGreaterThanOrEqual(created.ctime);
      expect(await a.exists(path)).toEqual(set);
      const { data, stat } = await a.getData(path);
      expect(data.toString()).toBe('abcdefgh');
      expect(stat).toEqual(set);
    });

    it('tracks children in cversion, numChildren and pzxid', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'statkids');
      const parent = `${root}/p`;
      await a.create(parent, Buffer.from('x'));
      const initial = (await a.exists(parent))!;

      await a.create(`${parent}/c1`);
      const child = (await a.exists(`${parent}/c1`))!;
      const afterCreate = (await a.exists(parent))!;
      expect(afterCreate).toMatchObject({ cversion: 1, numChildren: 1, version: 0 });
      expect(afterCreate.pzxid).toBe(child.czxid);
      expect(afterCreate.mzxid).toBe(initial.mzxid);

      // A child's data change is not a change to the parent's children.
      await a.setData(`${parent}/c1`, Buffer.from('y'));
      expect(await a.exists(parent)).toEqual(afterCreate);

      await a.delete(`${parent}/c1`);
      const afterDelete = (await a.exists(parent))!;
      expect(afterDelete.numChildren).toBe(0);
      expect(afterDelete.cversion).toBe(2);
      expect(afterDelete.pzxid).toBeGreaterThan(child.czxid);
      expect(afterDelete.mzxid).toBe(initial.mzxid);
      expect(afterDelete.version).toBe(0);
      expect((await a.getChildren(parent)).stat).toEqual(afterDelete);
    });

    it('reports an empty node with dataLength 0 and zxids that only grow', async () => {
      const a = await pool.connect();
      const b = await pool.connect();
      const root = await uniqueRoot(a, 'zxid');
      await a.create(`${root}/one`);
      await b.create(`${root}/two`);
      await a.create(`${root}/three`);
      const [one, two, three] = await Promise.all(
        ['one', 'two', 'three'].map((n) => a.getData(`${root}/${n}`)),
      );
      expect(one!.data.length).toBe(0);
      expect(one!.stat.dataLength).toBe(0);
      expect(two!.stat.czxid).toBeGreaterThan(one!.stat.czxid);
      expect(three!.stat.czxid).toBeGreaterThan(two!.stat.czxid);
    });
  });

  describe('zxids', () => {
    it('gives every write a zxid, failed ones included; reads take none', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'zxidgap');
      let previous = (await a.exists(root))!.czxid;
      const gapAfter = async (attempt: () => Promise<unknown>, index: number) => {
        await attempt().catch(() => undefined);
        await a.create(`${root}/m${index}`);
        const zxid = (await a.exists(`${root}/m${index}`))!.czxid;
        const gap = zxid - previous;
        previous = zxid;
        return gap;
      };
      const gaps = [
        await gapAfter(async () => undefined, 0),
        await gapAfter(() => a.getData(root), 1),
        await gapAfter(() => a.create(root), 2),
        await gapAfter(() => a.setData(root, Buffer.from('x'), 9), 3),
        await gapAfter(() => a.delete(`${root}/missing`), 4),
        await gapAfter(
          () =>
            a.multi([
              { type: 'create', path: `${root}/q` },
              { type: 'create', path: root },
            ]),
          5,
        ),
      ];
      expect(gaps).toEqual([1n, 1n, 2n, 2n, 2n, 2n]);
    });
  });

  describe('watches', () => {
    it('data watch: dataChanged once, then deleted', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'dwatch');
      const path = `${root}/d`;
      await writer.create(path, Buffer.from('0'));
      await visible(watcher, path);

      const changes = new EventLog<WatchEvent>();
      await watcher.getData(path, changes.listener);
      await writer.setData(path, Buffer.from('1'));
      await writer.setData(path, Buffer.from('2'));
      // On an ensemble the watcher's server may apply the writes later than the writer's: arm the fresh
      // watch only once it has both, or that server's late apply of '2' would fire it.
      await waitFor(async () => (await watcher.getData(path)).stat.version === 2, {
        what: 'both writes applied on the watcher’s server',
      });
      // A fresh watch armed after both writes sees the delete; events are ordered per connection, so an
      // extra event for the second write would have arrived before it.
      const { next } = await watcher.watchData(path);
      await writer.delete(path);
      expect(await next).toEqual({ type: 'deleted', path });
      expect(changes.events).toEqual([{ type: 'dataChanged', path }]);
    });

    it('data watch fires before the reply to the write that caused it', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'order');
      await a.create(`${root}/d`);
      const seen = new EventLog<WatchEvent>();
      await a.getData(`${root}/d`, seen.listener);
      await a.setData(`${root}/d`, Buffer.from('x'));
      expect(seen.events).toEqual([{ type: 'dataChanged', path: `${root}/d` }]);
    });

    it('child watch: childrenChanged on create and delete of a child, not on its data, deleted with the node', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'cwatch');
      const parent = `${root}/p`;
      await writer.create(parent);
      await visible(watcher, parent);

      let watch = await watcher.watchChildren(parent);
      expect(watch.children).toEqual([]);
      await writer.create(`${parent}/a`);
      expect(await watch.next).toEqual({ type: 'childrenChanged', path: parent });

      const dataOnly = new EventLog<WatchEvent>();
      await watcher.getChildren(parent, dataOnly.listener);
      await writer.setData(`${parent}/a`, Buffer.from('data'));
      await writer.delete(`${parent}/a`);
      // The child's data change did not fire the child watch; the child's deletion did.
      await waitFor(() => dataOnly.events.length > 0, { what: 'child deletion event' });
      expect(dataOnly.events).toEqual([{ type: 'childrenChanged', path: parent }]);

      watch = await watcher.watchChildren(parent);
      await writer.delete(parent);
      expect(await watch.next).toEqual({ type: 'deleted', path: parent });
    });

    it('exists watch on an existing node: dataChanged, then deleted', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'ewatch');
      const path = `${root}/n`;
      await writer.create(path);
      await visible(watcher, path);

      let watch = await watcher.watchExists(path);
      expect(watch.stat).not.toBeNull();
      await writer.setData(path, Buffer.from('v'));
      expect(await watch.next).toEqual({ type: 'dataChanged', path });

      watch = await watcher.watchExists(path);
      await writer.delete(path);
      expect(await watch.next).toEqual({ type: 'deleted', path });
    });

    it('exists watch on a missing node: created', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'mwatch');
      await visible(watcher, root);
      const path = `${root}/later`;

      const watch = await watcher.watchExists(path);
      expect(watch.stat).toBeNull();
      await writer.create(path, null, 'ephemeral');
      expect(await watch.next).toEqual({ type: 'created', path });
    });

    it('getData and getChildren on a missing node arm no watch', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'nowatch');
      await visible(watcher, root);
      const path = `${root}/absent`;
      const stray = new EventLog<WatchEvent>();
      await expectZooKeeperError(watcher.getData(path, stray.listener), 'NONODE');
      await expectZooKeeperError(watcher.getChildren(path, stray.listener), 'NONODE');

      const sentinel = await watcher.watchExists(`${root}/sentinel`);
      await writer.create(path);
      await writer.create(`${path}/child`);
      await writer.setData(path, Buffer.from('x'));
      await writer.create(`${root}/sentinel`);
      expect(await sentinel.next).toEqual({ type: 'created', path: `${root}/sentinel` });
      expect(stray.events).toEqual([]);
    });

    it('exists and data watches ignore child changes; child watches ignore data changes', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'kinds');
      const path = `${root}/n`;
      await writer.create(path);
      await visible(watcher, path);
      const stray = new EventLog<WatchEvent>();
      await watcher.exists(path, stray.listener);
      await watcher.getData(path, stray.listener);
      await writer.create(`${path}/child`);
      const kids = await watcher.watchChildren(path);
      await writer.setData(`${path}/child`, Buffer.from('x'));
      await writer.delete(`${path}/child`);
      expect(await kids.next).toEqual({ type: 'childrenChanged', path });
      expect(stray.events).toEqual([]);
    });

    it('fires each kind of watch on one node once, together', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'allwatch');
      const path = `${root}/n`;
      await writer.create(path);
      await visible(watcher, path);
      const data = await watcher.watchData(path);
      const children = await watcher.watchChildren(path);
      const exists = await watcher.watchExists(path);
      await writer.delete(path);
      expect(await data.next).toEqual({ type: 'deleted', path });
      expect(await children.next).toEqual({ type: 'deleted', path });
      expect(await exists.next).toEqual({ type: 'deleted', path });
    });
  });

  describe('four-letter words', () => {
    it('answers ruok, srvr and mntr on the client port', async () => {
      expect(await fourLetterWord('127.0.0.1', target.primaryPort, 'ruok')).toBe('imok');
      const srvr = await fourLetterWord('127.0.0.1', target.primaryPort, 'srvr');
      expect(['standalone', 'leader', 'follower']).toContain(serverMode(srvr));
      expect(srvr).toMatch(/^Zookeeper version: /m);
      expect(srvr).toMatch(/^Node count: \d+$/m);
      const mntr = await fourLetterWord('127.0.0.1', target.primaryPort, 'mntr');
      expect(mntr).toMatch(/^zk_server_state\t(standalone|leader|follower)$/m);
      expect(mntr).toMatch(/^zk_znode_count\t\d+$/m);
    });
  });

  describe('multi', () => {
    it('applies every op and returns one result per op', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'multi');
      await a.create(`${root}/old`, Buffer.from('x'));
      await a.create(`${root}/gone`);

      const results = await a.multi([
        { type: 'create', path: `${root}/new`, data: Buffer.from('n') },
        { type: 'create', path: `${root}/seq-`, mode: 'persistent-sequential' },
        { type: 'check', path: `${root}/old`, version: 0 },
        { type: 'setData', path: `${root}/old`, data: Buffer.from('y'), version: 0 },
        { type: 'delete', path: `${root}/gone`, version: 0 },
      ]);
      expect(results.map((r) => r.type)).toEqual(['create', 'create', 'check', 'setData', 'delete']);
      expect(results[0]).toEqual({ type: 'create', path: `${root}/new` });
      expect(results[1]).toEqual({ type: 'create', path: `${root}/seq-0000000003` });
      const set = results[3]!;
      expect(set.type === 'setData' && set.stat.version).toBe(1);

      expect((await a.getData(`${root}/old`)).data.toString()).toBe('y');
      expect(await a.exists(`${root}/gone`)).toBeNull();
      // All ops of one multi share one zxid.
      const created = (await a.exists(`${root}/new`))!;
      expect(set.type === 'setData' && set.stat.mzxid).toBe(created.czxid);
    });

    it('fails atomically with an error per op: 0 before, the cause, then RUNTIMEINCONSISTENCY', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'multifail');
      await a.create(`${root}/v`);
      const attempt = a.multi([
        { type: 'create', path: `${root}/a` },
        { type: 'setData', path: `${root}/missing`, data: Buffer.from('x') },
        { type: 'create', path: `${root}/b` },
      ]);
      await expect(attempt).rejects.toBeInstanceOf(ZooKeeperMultiError);
      await expect(attempt).rejects.toMatchObject({
        codeName: 'NONODE',
        failedOpIndex: 1,
        resultCodes: [0, -101, -2],
        path: `${root}/missing`,
      });
      expect(await a.exists(`${root}/a`)).toBeNull();
      expect(await a.exists(`${root}/b`)).toBeNull();

      await expect(
        a.multi([
          { type: 'check', path: `${root}/v`, version: 3 },
          { type: 'delete', path: `${root}/v` },
        ]),
      ).rejects.toMatchObject({ codeName: 'BADVERSION', resultCodes: [-103, -2] });
      await expect(
        a.multi([
          { type: 'create', path: `${root}/c` },
          { type: 'create', path: `${root}/v` },
        ]),
      ).rejects.toMatchObject({ codeName: 'NODEEXISTS', resultCodes: [0, -110] });
      await expect(
        a.multi([
          { type: 'create', path: `${root}/v/kid` },
          { type: 'delete', path: `${root}/v` },
        ]),
      ).rejects.toMatchObject({ codeName: 'NOTEMPTY', resultCodes: [0, -111] });
      expect(await a.exists(`${root}/v`)).not.toBeNull();
      expect(await a.exists(`${root}/c`)).toBeNull();
      expect(await a.exists(`${root}/v/kid`)).toBeNull();
    });

    it('numbers sequential creates within one multi, checks missing nodes, refuses children of new ephemerals', async () => {
      const a = await pool.connect();
      const root = await uniqueRoot(a, 'multiedge');
      expect(await a.multi([])).toEqual([]);
      expect(
        await a.multi([
          { type: 'create', path: `${root}/s-`, mode: 'persistent-sequential' },
          { type: 'create', path: `${root}/s-`, mode: 'ephemeral-sequential' },
        ]),
      ).toEqual([
        { type: 'create', path: `${root}/s-0000000000` },
        { type: 'create', path: `${root}/s-0000000001` },
      ]);
      await expect(
        a.multi([
          { type: 'check', path: `${root}/missing`, version: 0 },
          { type: 'create', path: `${root}/z` },
        ]),
      ).rejects.toMatchObject({ codeName: 'NONODE', resultCodes: [-101, -2] });
      await expect(
        a.multi([
          { type: 'create', path: `${root}/e`, mode: 'ephemeral' },
          { type: 'create', path: `${root}/e/c` },
        ]),
      ).rejects.toMatchObject({ codeName: 'NOCHILDRENFOREPHEMERALS', resultCodes: [0, -108] });
      expect(await a.exists(`${root}/e`)).toBeNull();
    });

    it('fires watches for every op of a committed multi', async () => {
      const watcher = await pool.connect();
      const writer = await pool.connect();
      const root = await uniqueRoot(writer, 'multiwatch');
      await writer.create(`${root}/d`);
      await visible(watcher, `${root}/d`);
      const data = await watcher.watchData(`${root}/d`);
      const kids = await watcher.watchChildren(root);
      await writer.multi([
        { type: 'setData', path: `${root}/d`, data: Buffer.from('1') },
        { type: 'create', path: `${root}/e` },
      ]);
      expect(await data.next).toEqual({ type: 'dataChanged', path: `${root}/d` });
      expect(await kids.next).toEqual({ type: 'childrenChanged', path: root });
    });
  });
});
