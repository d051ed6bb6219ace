import type { Stat as ClientStat } from 'node-zookeeper-client';

/** A znode's Stat with the 64-bit fields as bigints (zxids and session ids do not fit a double). */
export interface ZnodeStat {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  /** Milliseconds since the epoch. */
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** Session id of the owner for an ephemeral node, 0n otherwise. */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

function long(buffer: Buffer): bigint {
  return buffer.readBigInt64BE(0);
}

export function toZnodeStat(stat: ClientStat): ZnodeStat {
  return {
    czxid: long(stat.czxid),
    mzxid: long(stat.mzxid),
    pzxid: long(stat.pzxid),
    ctime: Number(long(stat.ctime)),
    mtime: Number(long(stat.mtime)),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: long(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}
