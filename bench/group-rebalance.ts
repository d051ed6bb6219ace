/**
 * Rebalance time of a broker-coordinated group: kafkajs members on a 6-partition topic on one
 * `sluice broker` process. Each round adds a member (JoinGroup → everyone rejoins) and then removes
 * one (LeaveGroup); the time is from the action until every remaining member has re-joined and
 * received its assignment (kafkajs GROUP_JOIN events). Members learn of a rebalance through their
 * heartbeat, so the figure includes up to one heartbeat interval.
 *
 *   npx tsx bench/group-rebalance.ts [--rounds N] [--members M] [--heartbeat MS]
 */
import kafkajs from 'kafkajs';
import { startSingleBroker } from '../test/support/single-broker.js';
import { numberArg } from './broker-bench-support.js';

const { Kafka, logLevel } = kafkajs;
const rounds = numberArg('rounds', 5);
const baseMembers = numberArg('members', 2);
const heartbeatMs = numberArg('heartbeat', 100);
const TOPIC = 'bench-rebalance';
const GROUP = 'bench-rebalance-g';

type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>;
interface Member {
  consumer: Consumer;
  joins: number[];
}

const cluster = await startSingleBroker({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
const kafka = new Kafka({
  clientId: 'bench-rebalance',
  brokers: [cluster.bootstrap],
  logLevel: logLevel.NOTHING,
});
const members: Member[] = [];

async function addMember(): Promise<Member> {
  const consumer = kafka.consumer({
    groupId: GROUP,
    sessionTimeout: 10_000,
    heartbeatInterval: heartbeatMs,
    maxWaitTimeInMs: heartbeatMs,
  });
  const member: Member = { consumer, joins: [] };
  consumer.on(consumer.events.GROUP_JOIN, () => member.joins.push(Date.now()));
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  members.push(member);
  return member;
}

async function allRejoinedSince(start: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = members.map((m) => m.joins.find((t) => t >= start));
    if (last.every((t) => t !== undefined)) return Math.max(...(last as number[])) - start;
    if (Date.now() > deadline) throw new Error('members did not rejoin in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms`;
};

try {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6, replicationFactor: 1 }] });
  await admin.disconnect();
  for (let i = 0; i < baseMembers; i++) {
    const start = Date.now();
    await addMember();
    await allRejoinedSince(start);
  }
  const joinTimes: number[] = [];
  const leaveTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let start = Date.now();
    await addMember();
    joinTimes.push(await allRejoinedSince(start));
    const leaving = members.pop()!;
    start = Date.now();
    await leaving.consumer.disconnect();
    leaveTimes.push(await allRejoinedSince(start));
  }
  console.log(
    `group rebalance, kafkajs, ${baseMembers}→${baseMembers + 1}→${baseMembers} members, heartbeat ${heartbeatMs} ms, ${rounds} rounds`,
  );
  console.log(`  join:  ${summary(joinTimes)}`);
  console.log(`  leave: ${summary(leaveTimes)}`);
} finally {
  await Promise.all(members.map((m) => m.consumer.disconnect()));
  await cluster.close();
}
