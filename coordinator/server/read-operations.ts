/**
 * The read operations: each checks like ZooKeeper (NONODE, then the READ permission; exists needs no
 * permission and arms its watch even on a missing node), arms the requested watch, and returns the
 * writer of its response body. Reads change nothing, so they need no transaction.
 */
import { checkAcl } from './acl.js';
import type { DataTree } from './data-tree.js';
import type { JuteReader, JuteWriter } from './jute.js';
import { ErrorCode, KeeperError, OpCode, Perm } from './protocol-constants.js';
import { readPath, readPathWatchRequest, writeAcl, writeStat, type Id } from './records.js';
import type { Watcher, WatchManager } from './watch-manager.js';

export interface ReadContext {
  tree: DataTree;
  watches: WatchManager;
  /** The connection asking: it owns the watches it arms. */
  watcher: Watcher;
  sessionId: bigint;
  authIds: readonly Id[];
  clientAddress: string;
}

export type ResponseBody = (writer: JuteWriter) => void;

function requireReadable(ctx: ReadContext, path: string, perm: number = Perm.read) {
  const node = ctx.tree.get(path);
  if (node === undefined) throw new KeeperError(ErrorCode.noNode);
  checkAcl(node.acl, perm, ctx.authIds, ctx.clientAddress);
  return node;
}

/** Runs the read operation `type`, or returns null when `type` is not a read. */
export function runReadOperation(type: number, reader: JuteReader, ctx: ReadContext): ResponseBody | null {
  const { tree } = ctx;
  switch (type) {
    case OpCode.exists: {
      const { path, watch } = readPathWatchRequest(reader);
      const node = tree.get(path);
      if (watch) ctx.watches.addDataWatch(path, ctx.watcher);
      if (node === undefined) throw new KeeperError(ErrorCode.noNode);
      return (w) => writeStat(w, tree.statOf(node));
    }
    case OpCode.getData: {
      const { path, watch } = readPathWatchRequest(reader);
      const node = requireReadable(ctx, path);
      if (watch) ctx.watches.addDataWatch(path, ctx.watcher);
      return (w) => {
        w.buffer_(node.data);
        writeStat(w, tree.statOf(node));
      };
    }
    case OpCode.getChildren:
    case OpCode.getChildren2: {
      const { path, watch } = readPathWatchRequest(reader);
      const node = requireReadable(ctx, path);
      if (watch) ctx.watches.addChildWatch(path, ctx.watcher);
      return (w) => {
        w.vector([...node.children], (ww, name) => ww.string(name));
        if (type === OpCode.getChildren2) writeStat(w, tree.statOf(node));
      };
    }
    case OpCode.getACL: {
      const node = requireReadable(ctx, readPath(reader), Perm.read | Perm.admin);
      return (w) => {
        w.vector(node.acl, writeAcl);
        writeStat(w, tree.statOf(node));
      };
    }
    case OpCode.sync: {
      // Single node: every read is already in sync.
      const path = readPath(reader);
      return (w) => w.string(path);
    }
    case OpCode.getAllChildrenNumber: {
      const path = readPath(reader);
      requireReadable(ctx, path);
      let count = 0;
      for (const _ of tree.descendants(path)) count++;
      return (w) => w.int(count);
    }
    case OpCode.getEphemerals: {
      const prefix = readPath(reader);
      const paths = [...tree.ephemeralsOf(ctx.sessionId)].filter(
        (p) => prefix === '/' || p.startsWith(prefix),
      );
      return (w) => w.vector(paths, (ww, p) => ww.string(p));
    }
    case OpCode.whoAmI: {
      const infos = [
        { scheme: 'ip', user: ctx.clientAddress.replace(/^::ffff:/, '') },
        ...ctx.authIds.map((id) => ({ scheme: id.scheme, user: id.id.split(':')[0] ?? id.id })),
      ];
      return (w) => w.vector(infos, (ww, i) => ww.string(i.scheme).string(i.user));
    }
    default:
      return null;
  }
}
