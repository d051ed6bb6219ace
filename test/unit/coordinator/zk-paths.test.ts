import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  assertLegalName,
  decodeBrokerRegistration,
  decodeClusterId,
  decodeConsumerRegistration,
  decodeController,
  decodeControllerEpoch,
  decodeGroupAssignment,
  decodeOffset,
  decodePartitionState,
  decodeProducerIdBlock,
  decodeTopicAssignment,
  decodeTopicConfig,
  encodeBrokerRegistration,
  encodeClusterId,
  encodeConsumerRegistration,
  encodeController,
  encodeControllerEpoch,
  encodeGroupAssignment,
  encodeOffset,
  encodePartitionState,
  encodeProducerIdBlock,
  encodeTopicAssignment,
  encodeTopicConfig,
  newClusterId,
  zkPaths,
} from '../../../coordinator/zk-paths.js';

/** The JSON each znode holds, compared as parsed JSON against Kafka's ZooKeeper-era formats. */
const json = (data: Buffer) => JSON.parse(data.toString('utf8')) as unknown;
const tp = { topic: 'orders', partition: 3 };

describe('zk paths', () => {
  it('spell Kafka’s ZooKeeper layout', () => {
    expect(zkPaths.broker(1)).toBe('/brokers/ids/1');
    expect(zkPaths.topic('orders')).toBe('/brokers/topics/orders');
    expect(zkPaths.partitionState(tp)).toBe('/brokers/topics/orders/partitions/3/state');
    expect(zkPaths.controller).toBe('/controller');
    expect(zkPaths.controllerEpoch).toBe('/controller_epoch');
    expect(zkPaths.deleteTopic('orders')).toBe('/admin/delete_topics/orders');
    expect(zkPaths.topicConfig('orders')).toBe('/config/topics/orders');
    expect(zkPaths.clusterId).toBe('/cluster/id');
    expect(zkPaths.producerIdBlock).toBe('/latest_producer_id_block');
    expect(zkPaths.groupMember('g', 'c1')).toBe('/consumers/g/ids/c1');
    expect(zkPaths.partitionOwner('g', tp)).toBe('/consumers/g/owners/orders/3');
    expect(zkPaths.partitionOffset('g', tp)).toBe('/consumers/g/offsets/orders/3');
    expect(zkPaths.groupAssignment('g')).toBe('/consumers/g/assignment');
  });

  it('refuse names that would escape their path segment', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(250)])
      expect(() => assertLegalName('topic', bad)).toThrow();
    expect(() => assertLegalName('topic', 'orders.v2_new-1')).not.toThrow();
  });
});

describe('znode JSON', () => {
  it('broker registration is Kafka’s version 5', () => {
    const data = encodeBrokerRegistration({
      id: 7,
      endpoints: [{ listener: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 'PLAINTEXT' }],
      timestamp: 1700000000123,
    });
    expect(json(data)).toEqual({
      version: 5,
      host: 'h1',
      port: 9092,
      endpoints: ['PLAINTEXT://h1:9092'],
      listener_security_protocol_map: { PLAINTEXT: 'PLAINTEXT' },
      jmx_port: -1,
      features: {},
      timestamp: '1700000000123',
      rack: null,
    });
    expect(decodeBrokerRegistration(7, data)).toEqual({
      id: 7,
      host: 'h1',
      port: 9092,
      endpoints: [{ listener: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 'PLAINTEXT' }],
      jmxPort: -1,
      timestamp: 1700000000123,
      rack: null,
    });
  });

  it('reads registrations written by Kafka (v1, v4 with listener map and rack, v5 without rack)', () => {
    const v1 = Buffer.from('{"version":1,"host":"old","port":9092,"jmx_port":9999,"timestamp":"2233345666"}');
    expect(decodeBrokerRegistration(1, v1)).toMatchObject({ host: 'old', port: 9092, jmxPort: 9999 });
    const v4 = Buffer.from(
      '{"listener_security_protocol_map":{"CLIENT":"SSL","REPLICATION":"PLAINTEXT"},"endpoints":["CLIENT://h:9093","REPLICATION://h:9092"],"rack":"dc1","jmx_port":-1,"host":"h","timestamp":"1","port":9092,"version":4}',
    );
    expect(decodeBrokerRegistration(2, v4)).toMatchObject({
      rack: 'dc1',
      endpoints: [
        { listener: 'CLIENT', host: 'h', port: 9093, securityProtocol: 'SSL' },
        { listener: 'REPLICATION', host: 'h', port: 9092, securityProtocol: 'PLAINTEXT' },
      ],
    });
    const v5 = Buffer.from(
      '{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://[::1]:9092"],"jmx_port":-1,"port":9092,"host":"::1","timestamp":"5","version":5}',
    );
    expect(decodeBrokerRegistration(3, v5)).toMatchObject({
      rack: null,
      endpoints: [{ host: '::1', port: 9092 }],
    });
  });

  it('topic assignment has string partition keys; version 2 from newer Kafka reads too', () => {
    expect(
      json(
        encodeTopicAssignment([
          [1, 2, 3],
          [2, 3, 1],
        ]),
      ),
    ).toEqual({ version: 1, partitions: { '0': [1, 2, 3], '1': [2, 3, 1] } });
    const v2 = Buffer.from(
      '{"version":2,"partitions":{"1":[2],"0":[1]},"adding_replicas":{},"removing_replicas":{},"topic_id":"x"}',
    );
    expect(decodeTopicAssignment('t', v2)).toEqual([[1], [2]]);
    expect(() => decodeTopicAssignment('t', Buffer.from('{"version":1,"partitions":{"1":[2]}}'))).toThrow(
      /partition 0 missing/,
    );
  });

  it('partition state, controller, epoch, config, cluster id', () => {
    expect(
      json(encodePartitionState({ leader: 2, leaderEpoch: 5, controllerEpoch: 3, isr: [2, 1] })),
    ).toEqual({
      version: 1,
      leader: 2,
      leader_epoch: 5,
      controller_epoch: 3,
      isr: [2, 1],
    });
    expect(
      decodePartitionState(
        tp,
        Buffer.from('{"controller_epoch":1,"leader":-1,"version":1,"leader_epoch":0,"isr":[]}'),
      ),
    ).toEqual({
      leader: -1,
      leaderEpoch: 0,
      controllerEpoch: 1,
      isr: [],
    });
    expect(json(encodeController(4, 1234))).toEqual({ version: 1, brokerid: 4, timestamp: '1234' });
    expect(decodeController(encodeController(4, 1234))).toEqual({ brokerId: 4, timestamp: 1234 });
    expect(encodeControllerEpoch(12).toString()).toBe('12');
    expect(decodeControllerEpoch(Buffer.from('12'))).toBe(12);
    expect(json(encodeTopicConfig({ 'retention.ms': '1000' }))).toEqual({
      version: 1,
      config: { 'retention.ms': '1000' },
    });
    expect(
      decodeTopicConfig('t', Buffer.from('{"version":1,"config":{"cleanup.policy":"compact"}}')),
    ).toEqual({
      'cleanup.policy': 'compact',
    });
    expect(json(encodeClusterId('abc'))).toEqual({ version: '1', id: 'abc' });
    expect(decodeClusterId(encodeClusterId('abc'))).toBe('abc');
  });

  it('cluster ids look like Kafka’s: 22 URL-safe base64 characters', () => {
    for (let i = 0; i < 50; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });

  it('producer id block keeps 64-bit ids as decimal strings', () => {
    const block = { brokerId: 1, blockStart: 9007199254740993n, blockEnd: 9007199254741992n };
    expect(json(encodeProducerIdBlock(block))).toEqual({
      version: 1,
      broker: 1,
      block_start: '9007199254740993',
      block_end: '9007199254741992',
    });
    expect(decodeProducerIdBlock(encodeProducerIdBlock(block))).toEqual(block);
    expect(decodeProducerIdBlock(Buffer.alloc(0))).toBeNull();
  });

  it('consumer registration, offsets and sluice’s assignment node', () => {
    expect(json(encodeConsumerRegistration(['a', 'b'], 42))).toEqual({
      version: 1,
      subscription: { a: 1, b: 1 },
      pattern: 'static',
      timestamp: '42',
    });
    expect(decodeConsumerRegistration('c', encodeConsumerRegistration(['a'], 42))).toEqual({
      subscription: { a: 1 },
      pattern: 'static',
      timestamp: 42,
    });
    expect(encodeOffset(123n).toString()).toBe('123');
    expect(decodeOffset(Buffer.from('9223372036854775807'))).toBe(9223372036854775807n);
    expect(() => decodeOffset(Buffer.from('12x'))).toThrow();
    const assignment = { generation: 3, members: ['c1', 'c2'], partitions: { t: { 0: 'c1', 1: 'c2' } } };
    expect(json(encodeGroupAssignment(assignment))).toEqual({
      version: 1,
      generation: 3,
      members: ['c1', 'c2'],
      partitions: { t: { '0': 'c1', '1': 'c2' } },
    });
    expect(decodeGroupAssignment('g', encodeGroupAssignment(assignment))).toEqual(assignment);
  });

  it('round-trips arbitrary partition states and assignments', () => {
    const id = fc.integer({ min: -1, max: 100_000 });
    fc.assert(
      fc.property(
        fc.record({
          leader: id,
          leaderEpoch: fc.nat(),
          controllerEpoch: fc.nat(),
          isr: fc.array(fc.nat(1000)),
        }),
        (state) => {
          expect(decodePartitionState(tp, encodePartitionState(state))).toEqual(state);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(1000), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 50 }),
        (a) => {
          expect(decodeTopicAssignment('t', encodeTopicAssignment(a))).toEqual(a);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects malformed payloads with the node named', () => {
    expect(() => decodePartitionState(tp, Buffer.from('not json'))).toThrow(
      /partition state orders-3: not JSON/,
    );
    expect(() => decodeBrokerRegistration(1, Buffer.from('{"version":5,"endpoints":"x"}'))).toThrow(
      /broker 1/,
    );
    expect(() => decodeControllerEpoch(Buffer.from('x'))).toThrow(/controller epoch/);
  });
});
