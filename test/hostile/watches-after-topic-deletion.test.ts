import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fourLetterWord } from '../../coordinator/four-letter-word.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { waitFor } from '../support/wait.js';

/**
 * Topics that come and go must not leave ZooKeeper watches behind: a watch armed on a deleted topic's
 * znodes (an exists-watch arms even on a missing node) or re-armed for its partitions stays on the
 * coordinator forever. Three brokers on the embedded coordinator create and delete RF=3 topics; the
 * coordinator's watch count (mntr's zk_watch_count) afterwards is back where it was, give or take a
 * constant, instead of growing with every topic.
 */

const TOPICS = 50;
const PARTITIONS = 2;

async function watchCount(cluster: ProcessCluster): Promise<number> {
  const mntr = await fourLetterWord('127.0.0.1', cluster.zk.port, 'mntr');
  const value = /^zk_watch_count\t(\d+)$/m.exec(mntr)?.[1];
  if (value === undefined) throw new Error(`no zk_watch_count in mntr:\n${mntr}`);
  return Number(value);
}

describe('watches after topics are deleted', () => {
  let cluster: ProcessCluster;
  let client: RawKafkaConnection;

  beforeAll(async () => {
    cluster = await startProcessCluster({ brokers: 3, overrides: { 'delete.topic.enable': 'true' } });
    client = await RawKafkaConnection.open(cluster.ports[0]!);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  async function topicsInZooKeeper(): Promise<string[]> {
    return (await cluster.state.session.getChildren('/brokers/topics')).children;
  }

  async function churn(prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${i}`;
      const created = await client.request(19, 5, {
        topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [] }],
        timeoutMs: 15_000,
        validateOnly: false,
      });
      expect(created.topics[0]!.errorCode).toBe(0);
      const deleted = await client.request(20, 4, { topicNames: [name], timeoutMs: 15_000 });
      expect(deleted.responses[0]!.errorCode).toBe(0);
    }
    await waitFor(async () => (await topicsInZooKeeper()).length === 0, {
      timeoutMs: 30_000,
      what: 'every churned topic gone from ZooKeeper',
    });
  }

  it('the coordinator holds no more watches after topics came and went than before', async () => {
    // Two topics first so every broker has armed whatever it watches for topics at all.
    await churn('warmup', 2);
    const settle = () =>
      waitFor(
        async () => {
          const a = await watchCount(cluster);
          await new Promise((resolve) => setTimeout(resolve, 500));
          return a === (await watchCount(cluster)) ? a : undefined;
        },
        { timeoutMs: 20_000, what: 'watch count steady' },
      );
    const before = await settle();
    await churn('churn', TOPICS);
    const after = await settle();
    // Before the fix every deleted topic left 2 watches per partition (state, leader_ack) per broker.
    expect(after - before).toBeLessThanOrEqual(6);
  });
});
