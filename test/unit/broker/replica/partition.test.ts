import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../../broker/log/partition-log.js';
import { Partition } from '../../../../broker/replica/partition.js';
import { encodeRecordBatchSync } from '../../../../protocol/record-batch.js';

const records = (n: number) =>
  encodeRecordBatchSync({
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })),
  });

describe('Partition: high watermark and acks=all waits', () => {
  let dir: string;
  let log: PartitionLog;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-partition-'));
    log = await PartitionLog.open({ dir: join(dir, 't-0') });
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('with ISR = [self] the high watermark follows the log end and acks=all returns at once', async () => {
    const partition = new Partition({ topic: 't', partition: 0 }, log, 1, {
      leader: 1,
      leaderEpoch: 3,
      replicas: [1],
      isr: [1],
    });
    let moves = 0;
    partition.onHighWatermarkAdvance(() => moves++);
    const result = await partition.appendAsLeader(records(3));
    expect(result).toMatchObject({ baseOffset: 0n, lastOffset: 2n });
    expect(partition.highWatermark).toBe(3n);
    expect(moves).toBe(1);
    expect(await partition.waitForIsr(result.lastOffset, 1)).toBe(true);
    expect(log.latestEpoch).toBe(3);
  });

  it('with followers in the ISR the high watermark is the minimum end offset and acks=all waits for it', async () => {
    const partition = new Partition({ topic: 't', partition: 0 }, log, 1, {
      leader: 1,
      leaderEpoch: 0,
      replicas: [1, 2, 3],
      isr: [1, 2, 3],
    });
    const result = await partition.appendAsLeader(records(4));
    expect(partition.highWatermark).toBe(0n);
    let acked = false;
    const wait = partition.waitForIsr(result.lastOffset, 10_000).then((ok) => (acked = ok));
    partition.recordFollowerEndOffset(2, 4n);
    expect(partition.highWatermark).toBe(0n);
    await Promise.resolve();
    expect(acked).toBe(false);
    partition.recordFollowerEndOffset(3, 2n);
    expect(partition.highWatermark).toBe(2n);
    partition.recordFollowerEndOffset(3, 4n);
    expect(partition.highWatermark).toBe(4n);
    expect(await wait).toBe(true);

    // Shrinking the ISR to the leader lets the high watermark reach the log end.
    await partition.appendAsLeader(records(1));
    expect(partition.highWatermark).toBe(4n);
    partition.updateLeadership({ leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1] });
    expect(partition.highWatermark).toBe(5n);
    expect(await partition.waitForIsr(99n, 20)).toBe(false);
  });

  it('tracks follower catch-up time, names laggards and catching-up replicas, and forgets progress on a new term', async () => {
    let now = 1_000;
    const partition = new Partition(
      { topic: 't', partition: 0 },
      log,
      1,
      { leader: 1, leaderEpoch: 2, replicas: [1, 2, 3], isr: [1, 2] },
      { now: () => now },
    );
    await log.assignEpochStartOffset(2);
    await partition.appendAsLeader(records(3));
    partition.recordFollowerFetch(2, 3n); // at the log end: caught up now
    now = 5_000;
    expect(partition.laggingFollowers(3_000)).toEqual([2]);
    partition.recordFollowerFetch(2, 3n);
    expect(partition.laggingFollowers(3_000)).toEqual([]);
    expect(partition.highWatermark).toBe(3n);

    // Broker 3 is outside the ISR: it may rejoin once it reaches the high watermark.
    partition.recordFollowerFetch(3, 1n);
    expect(partition.catchingUpFollowers()).toEqual([]);
    partition.recordFollowerFetch(3, 3n);
    expect(partition.catchingUpFollowers()).toEqual([3]);

    // The controller bumps the epoch (same leader): progress from the old term no longer counts.
    expect(
      partition.updateLeadership({
        leader: 1,
        leaderEpoch: 3,
        replicas: [1, 2, 3],
        isr: [1, 2],
        zkVersion: 4,
      }),
    ).toBe('becameLeader');
    expect(partition.catchingUpFollowers()).toEqual([]);
    expect(partition.followerProgress(3)?.endOffset).toBe(-1n);
    // A state older than the one held is ignored.
    expect(
      partition.updateLeadership({ leader: 2, leaderEpoch: 1, replicas: [1, 2, 3], isr: [2], zkVersion: 3 }),
    ).toBe('unchanged');
    expect(partition.isLeader).toBe(true);
  });

  it('losing leadership fails acks=all waiters; a follower takes the leader high watermark capped at its log end', async () => {
    const partition = new Partition({ topic: 't', partition: 0 }, log, 1, {
      leader: 1,
      leaderEpoch: 0,
      replicas: [1, 2],
      isr: [1, 2],
    });
    const result = await partition.appendAsLeader(records(2));
    const waiting = partition.waitForIsr(result.lastOffset, 10_000);
    expect(partition.updateLeadership({ leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2] })).toBe(
      'becameFollower',
    );
    expect(await waiting).toBe(false);
    partition.updateFollowerHighWatermark(10n);
    expect(partition.highWatermark).toBe(2n);
  });

  it('starts from a checkpointed high watermark, capped at the log end', async () => {
    await log.append(records(5), { leaderEpoch: 0 });
    const leadership = { leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2] };
    const tp = { topic: 't', partition: 0 };
    expect(new Partition(tp, log, 1, leadership, { checkpointedHighWatermark: 3n }).highWatermark).toBe(3n);
    expect(new Partition(tp, log, 1, leadership, { checkpointedHighWatermark: 9n }).highWatermark).toBe(5n);
    expect(new Partition(tp, log, 1, leadership).highWatermark).toBe(0n);
  });

  it('a sole-ISR leader restarting from a stale checkpoint commits everything on its disk at once', async () => {
    // The checkpoint is written now and then; after a crash it lags records acknowledged with acks=1.
    await log.append(records(5), { leaderEpoch: 0 });
    const alone = { leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] };
    const tp = { topic: 't', partition: 0 };
    expect(new Partition(tp, log, 1, alone, { checkpointedHighWatermark: 2n }).highWatermark).toBe(5n);
    // A follower's checkpoint is not advanced: only its leader knows what is committed.
    const following = { leader: 2, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2] };
    expect(new Partition(tp, log, 1, following, { checkpointedHighWatermark: 2n }).highWatermark).toBe(2n);
  });
});
