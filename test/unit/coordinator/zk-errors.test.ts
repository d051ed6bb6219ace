import { describe, expect, it } from 'vitest';
import {
  isZooKeeperError,
  ZooKeeperError,
  ZooKeeperMultiError,
  zooKeeperErrorName,
} from '../../../coordinator/zk-errors.js';
import { serverMode } from '../../../coordinator/four-letter-word.js';

describe('ZooKeeper errors', () => {
  it('use ZooKeeper’s own code names', () => {
    expect(zooKeeperErrorName(-101)).toBe('NONODE');
    expect(zooKeeperErrorName(-110)).toBe('NODEEXISTS');
    expect(zooKeeperErrorName(-103)).toBe('BADVERSION');
    expect(zooKeeperErrorName(-111)).toBe('NOTEMPTY');
    expect(zooKeeperErrorName(-112)).toBe('SESSIONEXPIRED');
    expect(zooKeeperErrorName(-999)).toBe('UNKNOWN');
  });

  it('carry code, name, path and operation, and say whether to retry', () => {
    const error = new ZooKeeperError(-101, '/a/b', 'getData');
    expect(error).toMatchObject({ code: -101, codeName: 'NONODE', path: '/a/b', operation: 'getData' });
    expect(error.message).toBe('ZooKeeper getData /a/b failed: NONODE (-101)');
    expect(error.retriable).toBe(false);
    expect(new ZooKeeperError(-4, undefined, 'create').retriable).toBe(true);
    expect(isZooKeeperError(error)).toBe(true);
    expect(isZooKeeperError(error, 'NODEEXISTS', 'NONODE')).toBe(true);
    expect(isZooKeeperError(error, 'BADVERSION')).toBe(false);
    expect(isZooKeeperError(new Error('x'))).toBe(false);
  });

  it('report a failed multi op by index with every result code', () => {
    const error = new ZooKeeperMultiError(-103, '/v', 1, [0, -103, -2]);
    expect(error).toBeInstanceOf(ZooKeeperError);
    expect(error).toMatchObject({ codeName: 'BADVERSION', failedOpIndex: 1, resultCodes: [0, -103, -2] });
  });
});

describe('four-letter word answers', () => {
  it('read the Mode line of srvr', () => {
    expect(
      serverMode('Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: follower\nNode count: 5\n'),
    ).toBe('follower');
    expect(serverMode('This ZooKeeper instance is not currently serving requests\n')).toBeUndefined();
  });
});
