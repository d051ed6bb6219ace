/**
 * Validating and applying the write operations, in ZooKeeper's order of checks (so the same request
 * fails with the same code). Each applies straight to the tree and returns an undo step, which is how
 * multi stays atomic: apply op by op, and roll back what was applied if a later op fails.
 */
import { checkAcl, fixupAcl } from './acl.js';
import {
  containerOwner,
  isSessionOwner,
  type DataTree,
  type TreeEvent,
  type Undo,
  type ZNode,
} from './data-tree.js';
import type { JuteWriter } from './jute.js';
import { invalidPathReason, parentOf, specialPaths } from './paths.js';
import { CreateFlag, ErrorCode, KeeperError, OpCode, Perm } from './protocol-constants.js';
import {
  writeStat,
  type CreateRequest,
  type Id,
  type PathVersionRequest,
  type SetAclRequest,
  type SetDataRequest,
} from './records.js';
import type { Txn } from './txn.js';

export interface WriteContext {
  tree: DataTree;
  sessionId: bigint;
  authIds: readonly Id[];
  clientAddress: string;
  zxid: number;
  time: number;
  events: TreeEvent[];
}

export interface AppliedWrite {
  /** What the log records (null for check, which changes nothing). */
  txn: Txn | null;
  undo: Undo;
  /** Writes the op's response body (CreateResponse, Create2Response, SetDataResponse, or nothing). */
  writeResponse(writer: JuteWriter): void;
}

const noop = () => undefined;

function requireNode(tree: DataTree, path: string): ZNode {
  const node = tree.get(path);
  if (node === undefined) throw new KeeperError(ErrorCode.noNode, path);
  return node;
}

function checkVersion(expected: number, actual: number): void {
  if (expected !== -1 && expected !== actual) throw new KeeperError(ErrorCode.badVersion);
}

function validatePath(path: string): void {
  if (invalidPathReason(path) !== null)
    throw new KeeperError(ErrorCode.badArguments, invalidPathReason(path) ?? '');
}

export function applyCreate(ctx: WriteContext, opType: number, request: CreateRequest): AppliedWrite {
  const { flags } = request;
  if (flags < 0 || flags > CreateFlag.persistentSequentialWithTtl)
    throw new KeeperError(ErrorCode.badArguments);
  const isTtl = flags === CreateFlag.persistentWithTtl || flags === CreateFlag.persistentSequentialWithTtl;
  const isContainer = flags === CreateFlag.container;
  // TTL nodes need ZooKeeper's extended types, off by default: real servers answer UNIMPLEMENTED.
  if (isTtl || opType === OpCode.createTTL) throw new KeeperError(ErrorCode.unimplemented);
  if (isContainer !== (opType === OpCode.createContainer)) throw new KeeperError(ErrorCode.badArguments);
  const sequential = flags === CreateFlag.persistentSequential || flags === CreateFlag.ephemeralSequential;
  const ephemeral = flags === CreateFlag.ephemeral || flags === CreateFlag.ephemeralSequential;

  validatePath(sequential ? `${request.path}0` : request.path);
  const acl = fixupAcl(request.acl, ctx.authIds);
  const parentPath = parentOf(request.path);
  const parent = requireNode(ctx.tree, parentPath);
  checkAcl(parent.acl, Perm.create, ctx.authIds, ctx.clientAddress);
  const path = sequential ? request.path + String(parent.childCreations).padStart(10, '0') : request.path;
  validatePath(path);
  if (ctx.tree.get(path) !== undefined) throw new KeeperError(ErrorCode.nodeExists, path);
  if (isSessionOwner(parent.ephemeralOwner)) throw new KeeperError(ErrorCode.noChildrenForEphemerals);

  const ephemeralOwner = ephemeral ? ctx.sessionId : isContainer ? containerOwner : 0n;
  const txn: Txn = { type: 'create', path, data: request.data, acl, ephemeralOwner };
  const undo = ctx.tree.create(path, request.data, acl, ephemeralOwner, ctx.zxid, ctx.time, ctx.events);
  const node = ctx.tree.get(path) as ZNode;
  const stat = ctx.tree.statOf(node);
  const withStat = opType !== OpCode.create;
  return {
    txn,
    undo,
    writeResponse: (writer) => {
      writer.string(path);
      if (withStat) writeStat(writer, stat);
    },
  };
}

export function applyDelete(ctx: WriteContext, request: PathVersionRequest): AppliedWrite {
  const { path } = request;
  if (invalidPathReason(path) !== null || specialPaths.has(path))
    throw new KeeperError(ErrorCode.badArguments);
  const parent = requireNode(ctx.tree, parentOf(path));
  checkAcl(parent.acl, Perm.delete, ctx.authIds, ctx.clientAddress);
  const node = requireNode(ctx.tree, path);
  checkVersion(request.version, node.version);
  if (node.children.size > 0) throw new KeeperError(ErrorCode.notEmpty);
  const undo = ctx.tree.delete(path, ctx.zxid, ctx.events);
  return { txn: { type: 'delete', path }, undo, writeResponse: noop };
}

export function applySetData(ctx: WriteContext, request: SetDataRequest): AppliedWrite {
  const node = requireNode(ctx.tree, request.path);
  checkAcl(node.acl, Perm.write, ctx.authIds, ctx.clientAddress);
  checkVersion(request.version, node.version);
  const undo = ctx.tree.setData(request.path, request.data, ctx.zxid, ctx.time, ctx.events);
  const stat = ctx.tree.statOf(node);
  return {
    txn: { type: 'setData', path: request.path, data: request.data },
    undo,
    writeResponse: (writer) => writeStat(writer, stat),
  };
}

export function applySetAcl(ctx: WriteContext, request: SetAclRequest): AppliedWrite {
  validatePath(request.path);
  const acl = fixupAcl(request.acl, ctx.authIds);
  const node = requireNode(ctx.tree, request.path);
  checkAcl(node.acl, Perm.admin, ctx.authIds, ctx.clientAddress);
  checkVersion(request.version, node.aversion);
  const undo = ctx.tree.setAcl(request.path, acl);
  const stat = ctx.tree.statOf(node);
  return {
    txn: { type: 'setACL', path: request.path, acl },
    undo,
    writeResponse: (writer) => writeStat(writer, stat),
  };
}

export function applyCheck(ctx: WriteContext, request: PathVersionRequest): AppliedWrite {
  const node = requireNode(ctx.tree, request.path);
  checkAcl(node.acl, Perm.read, ctx.authIds, ctx.clientAddress);
  checkVersion(request.version, node.version);
  return { txn: null, undo: noop, writeResponse: noop };
}
