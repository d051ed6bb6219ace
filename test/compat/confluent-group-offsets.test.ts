import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../consumer/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  sluice,
  startConsumer,
  startGroupCluster,
  valuesFor,
  type GroupCluster,
} from '../support/consumer-test-support.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';
import { projectRoot, runToEnd, startProcess, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Committed offsets at the edges, driven by confluent-kafka-python (librdkafka) and the sluice CLI:
 * OffsetCommit for a topic or partition the cluster does not have is refused (3) and stores nothing;
 * OffsetDelete (KIP-496) through `sluice groups delete-offsets` and a raw request, for a
 * broker-coordinated group and a ZooKeeper group: refused (86) while a live member consumes the topic,
 * done once it has stopped, 69 for an unknown group.
 */
const TOPIC = 'edges';
const OTHER = 'edges-other';
const PYTHON = '/usr/bin/python3';
const script = (name: string) => join(projectRoot, 'test', 'compat', 'python', name);

let cluster: GroupCluster;
let zk: string[];

beforeAll(async () => {
  cluster = await startGroupCluster();
  zk = ['--zookeeper', cluster.zookeeper];
  await cluster.createTopic(TOPIC, 2);
  await cluster.createTopic(OTHER, 1);
  for (const partition of [0, 1]) await cluster.produce(TOPIC, partition, valuesFor('e', partition, 10));
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

/** Commits with librdkafka outside any generation; returns its per-partition answer lines. */
async function pythonCommit(group: string, ...specs: string[]): Promise<string[]> {
  const result = await runToEnd(
    PYTHON,
    [script('commit-offsets.py'), cluster.broker.bootstrap, group, ...specs],
    {
      timeoutMs: 60_000,
    },
  );
  return result.stdout.trim().split('\n').sort();
}

const offsetsOf = async (group: string) => {
  const offsets = await cluster.state.readGroupOffsets(group);
  return Object.fromEntries(
    [...offsets].map(([t, ps]) => [t, Object.fromEntries([...ps].map(([p, o]) => [p, Number(o)]))]),
  );
};

describe('OffsetCommit for partitions the cluster does not have', () => {
  it('answers UNKNOWN_TOPIC_OR_PARTITION per partition and stores only the real one', async () => {
    // One partition per commit: librdkafka hands a failed commit's first error to every partition of it.
    expect(await pythonCommit('commit-unknown', 'no-such-topic:0:5')).toEqual([
      'no-such-topic 0 5 UNKNOWN_TOPIC_OR_PART',
    ]);
    expect(await pythonCommit('commit-unknown', `${TOPIC}:7:5`)).toEqual([
      `${TOPIC} 7 5 UNKNOWN_TOPIC_OR_PART`,
    ]);
    expect(await pythonCommit('commit-unknown', `${TOPIC}:1:4`)).toEqual([`${TOPIC} 1 4 -`]);
    expect(await offsetsOf('commit-unknown')).toEqual({ [TOPIC]: { 1: 4 } });

    // On the wire, each partition has its own code in one answer.
    const raw = await RawKafkaConnection.open(cluster.broker.port);
    try {
      const answer = await raw.request(8, 2, {
        groupId: 'commit-unknown',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: -1n,
        topics: [
          {
            name: TOPIC,
            partitions: [0, 2].map((partitionIndex) => ({
              partitionIndex,
              committedOffset: 6n,
              committedMetadata: null,
            })),
          },
          {
            name: 'no-such-topic',
            partitions: [{ partitionIndex: 1, committedOffset: 6n, committedMetadata: null }],
          },
        ],
      });
      expect(answer.topics).toEqual([
        {
          name: TOPIC,
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 2, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
          ],
        },
        {
          name: 'no-such-topic',
          partitions: [{ partitionIndex: 1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
        },
      ]);
    } finally {
      raw.socket.destroy();
    }
    expect(await offsetsOf('commit-unknown')).toEqual({ [TOPIC]: { 0: 6, 1: 4 } });
  }, 60_000);
});

describe('ZooKeeper-group commits for partitions the cluster does not have', () => {
  it('reject with UNKNOWN_TOPIC_OR_PARTITION and write nothing', async () => {
    const group = 'commit-unknown-zk';
    const consumer = new Consumer({
      zookeeper: cluster.zookeeper,
      groupId: group,
      topics: [TOPIC],
      autoCommit: false,
    });
    try {
      await consumer.connect();
      await waitFor(() => consumer.assignment().length === 2, {
        timeoutMs: 30_000,
        what: 'both partitions held',
      });
      for (const bad of [
        { topic: 'no-such-topic', partition: 0, offset: 5n },
        { topic: TOPIC, partition: 9, offset: 5n },
      ]) {
        await expect(
          consumer.commit([bad, { topic: TOPIC, partition: 0, offset: 5n }]),
        ).rejects.toMatchObject({
          code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        });
      }
      expect(await offsetsOf(group)).toEqual({});
      await consumer.commit([{ topic: TOPIC, partition: 0, offset: 3n }]);
      expect(await offsetsOf(group)).toEqual({ [TOPIC]: { 0: 3 } });
    } finally {
      await consumer.close();
    }
  }, 60_000);
});

describe('OffsetDelete', () => {
  const deleteOffsets = (group: string, topic: string) =>
    sluice(['groups', 'delete-offsets', '--group', group, '--topic', topic, ...zk]);

  it('refuses a topic a live librdkafka member consumes, deletes the rest, and all once it left', async () => {
    const group = 'delete-coordinated';
    expect(await pythonCommit(group, `${TOPIC}:0:3`, `${TOPIC}:1:3`, `${OTHER}:0:1`)).toHaveLength(3);
    const member = startProcess(PYTHON, [script('group-member.py'), cluster.broker.bootstrap, group, TOPIC]);
    try {
      await waitFor(() => member.stdout().includes('assign 0,1'), {
        timeoutMs: 30_000,
        what: 'the member’s assignment',
      });
      const refused = await deleteOffsets(group, TOPIC);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(new RegExp(`${TOPIC}\\s+0\\s+Error: .*subscribed`));
      expect(refused.stdout).toMatch(new RegExp(`${TOPIC}\\s+1\\s+Error: .*subscribed`));
      const other = await deleteOffsets(group, `${OTHER}:0`);
      expect(other.code).toBe(0);
      expect(other.stdout).toMatch(new RegExp(`${OTHER}\\s+0\\s+Successful`));
      expect(Object.keys(await offsetsOf(group))).toEqual([TOPIC]);
    } finally {
      await member.kill('SIGTERM');
    }
    expect(member.stdout()).toContain('closed');
    const done = await deleteOffsets(group, TOPIC);
    expect(done.stdout).toMatch(new RegExp(`${TOPIC}\\s+1\\s+Successful`));
    expect(done.code).toBe(0);
    expect(await offsetsOf(group)).toEqual({});
  }, 90_000);

  it('refuses a topic a live ZooKeeper-group member consumes, deletes once it stopped', async () => {
    const group = 'delete-zookeeper';
    const member: RunningProcess = startConsumer(cluster.zookeeper, TOPIC, [
      '--group',
      group,
      '--from-beginning',
      '--commit-interval-ms',
      '200',
    ]);
    try {
      await waitFor(async () => Object.keys((await offsetsOf(group))[TOPIC] ?? {}).length === 2, {
        timeoutMs: 30_000,
        what: 'the ZooKeeper member’s commits',
      });
      const refused = await deleteOffsets(group, `${TOPIC}:0,1`);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(new RegExp(`${TOPIC}\\s+0\\s+Error: .*subscribed`));
      expect(Object.keys((await offsetsOf(group))[TOPIC] ?? {})).toEqual(['0', '1']);
    } finally {
      await member.kill('SIGTERM');
    }
    const done = await deleteOffsets(group, `${TOPIC}:0`);
    expect(done.code).toBe(0);
    expect(await offsetsOf(group)).toEqual({ [TOPIC]: { 1: 10 } });
  }, 90_000);

  it('answers GROUP_ID_NOT_FOUND for an unknown group and UNKNOWN_TOPIC_OR_PARTITION per partition', async () => {
    const unknown = await deleteOffsets('no-such-group', TOPIC);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/group no-such-group does not exist/);

    expect(await pythonCommit('delete-raw', `${TOPIC}:0:2`)).toEqual([`${TOPIC} 0 2 -`]);
    const raw = await RawKafkaConnection.open(cluster.broker.port);
    try {
      expect(await raw.request(47, 0, { groupId: 'no-such-group', topics: [] })).toMatchObject({
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        topics: [],
      });
      const answer = await raw.request(47, 0, {
        groupId: 'delete-raw',
        topics: [
          { name: TOPIC, partitions: [{ partitionIndex: 0 }, { partitionIndex: 9 }] },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] },
        ],
      });
      expect(answer).toEqual({
        errorCode: 0,
        throttleTimeMs: 0,
        topics: [
          {
            name: TOPIC,
            partitions: [
              { partitionIndex: 0, errorCode: 0 },
              { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
            ],
          },
          {
            name: 'no-such-topic',
            partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
          },
        ],
      });
    } finally {
      raw.socket.destroy();
    }
    expect(await offsetsOf('delete-raw')).toEqual({});
  }, 60_000);
});
