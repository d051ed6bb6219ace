import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../coordinator/zk-session.js';
import { waitFor } from '../support/wait.js';
import { EventLog } from './support/expect-zk.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import {
  CONFORMANCE_TARGETS,
  SessionPool,
  startTarget,
  TEST_TICK_TIME_MS,
  uniqueRoot,
  type ZooKeeperTarget,
} from './support/zk-targets.js';

/**
 * Sessions, part of the conformance suite: negotiated timeouts, ephemerals ending with their session
 * (close and expiry), resuming a session after a dropped connection with setWatches, and our session
 * layer's renewal after expiry. Connections are dropped with a loopback TCP relay the test can cut.
 */

describe.each(CONFORMANCE_TARGETS)('ZooKeeper sessions on %s', (targetName) => {
  let target: ZooKeeperTarget;
  let proxy: TcpProxy;
  const pool = new SessionPool(() => target.connectionString);

  beforeAll(async () => {
    target = await startTarget(targetName);
  });
  afterEach(async () => {
    await pool.closeAll();
    await proxy?.close();
  });
  afterAll(() => target?.close());

  async function proxied() {
    proxy = await startTcpProxy('127.0.0.1', target.primaryPort);
    return proxy;
  }

  it('negotiates the session timeout within [2, 20] × tickTime', async () => {
    const short = await pool.connect({ sessionTimeoutMs: 100 });
    const long = await pool.connect({ sessionTimeoutMs: 600_000 });
    const middle = await pool.connect({ sessionTimeoutMs: 4_000 });
    expect(short.negotiatedTimeoutMs).toBe(2 * TEST_TICK_TIME_MS);
    expect(long.negotiatedTimeoutMs).toBe(20 * TEST_TICK_TIME_MS);
    expect(middle.negotiatedTimeoutMs).toBe(4_000);
    expect(new Set([short.sessionId, long.sessionId, middle.sessionId]).size).toBe(3);
  });

  it('deletes ephemerals when their session closes, and watchers see it', async () => {
    const owner = await pool.connect();
    const watcher = await pool.connect();
    const root = await uniqueRoot(owner, 'close');
    await owner.create(`${root}/e1`, Buffer.from('1'), 'ephemeral');
    await owner.create(`${root}/e-`, null, 'ephemeral-sequential');
    await owner.create(`${root}/keep`);
    await waitFor(() => watcher.exists(`${root}/e1`), { what: 'ephemeral visible' });
    await waitFor(async () => (await watcher.getChildren(root)).children.length === 3, {
      what: 'all children',
    });

    const data = await watcher.watchData(`${root}/e1`);
    const children = await watcher.watchChildren(root);
    await owner.close();
    expect(await data.next).toEqual({ type: 'deleted', path: `${root}/e1` });
    expect(await children.next).toEqual({ type: 'childrenChanged', path: root });
    await waitFor(async () => (await watcher.getChildren(root)).children.length === 1, {
      what: 'ephemerals gone',
    });
    expect((await watcher.getChildren(root)).children).toEqual(['keep']);
  });

  it('resumes a session after a dropped connection; setWatches fires what was missed and re-arms the rest', async () => {
    const relay = await proxied();
    const client = await pool.connect({ connectionString: relay.address, sessionTimeoutMs: 10_000 });
    const writer = await pool.connect();
    const root = await uniqueRoot(writer, 'resume');
    for (const name of ['data', 'kids', 'gone', 'quiet', 'eph-holder'])
      await writer.create(`${root}/${name}`, Buffer.from(name));
    await waitFor(() => client.exists(`${root}/quiet`), { what: 'nodes visible to the proxied client' });
    await client.create(`${root}/mine`, null, 'ephemeral');
    const sessionBefore = client.sessionId;

    const events = new EventLog<WatchEvent>();
    await client.getData(`${root}/data`, events.listener);
    await client.getChildren(`${root}/kids`, events.listener);
    await client.getData(`${root}/gone`, events.listener);
    expect(await client.exists(`${root}/born`, events.listener)).toBeNull();
    const quiet = await client.watchData(`${root}/quiet`);

    const disconnected = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
    relay.cut();
    await disconnected;
    await writer.setData(`${root}/data`, Buffer.from('changed'));
    await writer.create(`${root}/kids/k1`);
    await writer.delete(`${root}/gone`);
    await writer.create(`${root}/born`);
    const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    relay.restore();
    await reconnected;

    await waitFor(() => events.events.length === 4, { what: 'four missed events', timeoutMs: 10_000 });
    expect(events.events).toEqual(
      expect.arrayContaining([
        { type: 'dataChanged', path: `${root}/data` },
        { type: 'childrenChanged', path: `${root}/kids` },
        { type: 'deleted', path: `${root}/gone` },
        { type: 'created', path: `${root}/born` },
      ]),
    );
    expect(client.sessionId).toBe(sessionBefore);
    expect((await client.exists(`${root}/mine`))?.ephemeralOwner).toBe(sessionBefore);

    // The untouched watch was re-armed on the new connection and still fires.
    await writer.setData(`${root}/quiet`, Buffer.from('now'));
    expect(await quiet.next).toEqual({ type: 'dataChanged', path: `${root}/quiet` });
  });

  it('re-issues a read whose connection dropped before the reply (CONNECTIONLOSS is not the caller’s)', async () => {
    const relay = await proxied();
    const client = await pool.connect({ connectionString: relay.address, sessionTimeoutMs: 10_000 });
    const writer = await pool.connect();
    const root = await uniqueRoot(writer, 'reread');
    await writer.create(`${root}/n`, Buffer.from('v1'));
    await waitFor(() => client.exists(`${root}/n`), { what: 'node visible to the proxied client' });

    relay.holdReplies();
    const data = client.getData(`${root}/n`);
    const children = client.getChildren(root);
    const exists = client.exists(`${root}/n`);
    const disconnected = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
    relay.cut();
    await disconnected;
    await writer.setData(`${root}/n`, Buffer.from('v2'));
    relay.restore();

    // Asked again on the resumed session: the answers reflect the server after the drop.
    expect((await data).data.toString()).toBe('v2');
    expect((await children).children).toEqual(['n']);
    expect((await exists)?.version).toBe(1);
  });

  it('lets a second connection take over a session by id and password', async () => {
    const relay = await proxied();
    const first = await pool.connect({ connectionString: relay.address, sessionTimeoutMs: 10_000 });
    const root = await uniqueRoot(first, 'takeover');
    await first.create(`${root}/e`, null, 'ephemeral');
    // The first connection goes away for good, so it cannot take the session back while we look.
    relay.cut();
    const second = await pool.connect({ resume: first.sessionCredentials(), renewOnExpiry: false });
    expect(second.sessionId).toBe(first.sessionId);
    // second may sit on another ensemble member that applies first's create a moment later.
    const inherited = await waitFor(() => second.exists(`${root}/e`), { what: 'first session’s ephemeral' });
    expect(inherited.ephemeralOwner).toBe(first.sessionId);
    await second.create(`${root}/e2`, null, 'ephemeral');
    expect((await second.exists(`${root}/e2`))?.ephemeralOwner).toBe(first.sessionId);
  });

  it('expires a silent session: its ephemerals go, watchers see it, and our layer renews the session', async () => {
    const relay = await proxied();
    const owner = await pool.connect({ connectionString: relay.address, sessionTimeoutMs: 1_000 });
    const observer = await pool.connect();
    const root = await uniqueRoot(observer, 'expiry');
    await waitFor(() => owner.exists(root), { what: 'root visible to owner' });
    const firstSession = owner.sessionId;

    // The hook is how a broker keeps its registration: it runs now and on every new session.
    const sessionsSeen: bigint[] = [];
    await owner.onSessionEstablished(async (session) => {
      sessionsSeen.push(session.sessionId);
      await session.create(`${root}/member`, Buffer.from(String(session.sessionId)), 'ephemeral');
    });
    const ownersWatch = await owner.watchData(`${root}/member`);
    await waitFor(() => observer.exists(`${root}/member`), { what: 'member visible' });
    const deletion = await observer.watchData(`${root}/member`);

    const expired = new Promise<void>((resolve) => owner.once('expired', () => resolve()));
    const renewed = new Promise<bigint>((resolve) => owner.once('sessionEstablished', resolve));
    relay.cut();
    expect(await deletion.next).toEqual({ type: 'deleted', path: `${root}/member` });
    const recreated = await observer.watchExists(`${root}/member`);
    relay.restore();
    await expired;
    expect(await ownersWatch.next).toEqual({ type: 'sessionExpired', path: '' });

    const secondSession = await renewed;
    expect(secondSession).not.toBe(firstSession);
    expect(sessionsSeen).toEqual([firstSession, secondSession]);
    if (recreated.stat === null)
      expect(await recreated.next).toEqual({ type: 'created', path: `${root}/member` });
    const member = await waitFor(() => observer.exists(`${root}/member`), { what: 'member re-created' });
    expect(member.ephemeralOwner).toBe(secondSession);
  });
});
