import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseListeners,
  parseProperties,
  propertiesFromEnvironment,
  resolveBrokerConfig,
} from '../../../broker/config.js';

describe('server.properties', () => {
  it('reads Java properties syntax', () => {
    const props = parseProperties(
      [
        '# comment',
        '! also a comment',
        'broker.id=3',
        'log.dirs : /tmp/a,/tmp/b',
        'listeners PLAINTEXT://:9092',
        'long.value=one \\',
        '   two',
        'escaped\\=key=x\\ty',
      ].join('\n'),
    );
    expect(props.get('broker.id')).toBe('3');
    expect(props.get('log.dirs')).toBe('/tmp/a,/tmp/b');
    expect(props.get('listeners')).toBe('PLAINTEXT://:9092');
    expect(props.get('long.value')).toBe('one two');
    expect(props.get('escaped=key')).toBe('x\ty');
  });

  it('maps SLUICE_* environment variables to Kafka keys', () => {
    const props = propertiesFromEnvironment({
      SLUICE_BROKER_ID: '7',
      SLUICE_LOG_RETENTION_MS: '1000',
      OTHER: 'x',
    });
    expect([...props]).toEqual([
      ['broker.id', '7'],
      ['log.retention.ms', '1000'],
    ]);
  });

  it('layers sources: later ones win, defaults fill the rest', () => {
    const config = resolveBrokerConfig(
      new Map([
        ['broker.id', '1'],
        ['log.retention.hours', '1'],
      ]),
      new Map([['broker.id', '2']]),
    );
    expect(config.brokerId).toBe(2);
    expect(config.logRetentionMs).toBe(3_600_000);
    expect(config.entries.get('broker.id')).toEqual({ value: '2', isDefault: false });
    expect(config.entries.get('num.partitions')).toEqual({ value: '1', isDefault: true });
    expect(config.logFlushIntervalMessages).toBe(Number.MAX_SAFE_INTEGER);
    expect(config.advertisedListeners).toEqual(config.listeners);
  });

  it('prefers log.retention.ms over minutes over hours', () => {
    expect(resolveBrokerConfig(new Map([['log.retention.minutes', '2']])).logRetentionMs).toBe(120_000);
    expect(
      resolveBrokerConfig(
        new Map([
          ['log.retention.minutes', '2'],
          ['log.retention.ms', '5'],
        ]),
      ).logRetentionMs,
    ).toBe(5);
  });

  it('rejects bad values with the key named', () => {
    expect(() => resolveBrokerConfig(new Map([['broker.id', 'x']]))).toThrow(
      /broker\.id must be a whole number/,
    );
    expect(() => resolveBrokerConfig(new Map([['auto.create.topics.enable', 'yes']]))).toThrow(ConfigError);
    expect(() => parseListeners('nope', 'listeners')).toThrow(/NAME:\/\/host:port/);
  });

  it('parses listeners, including IPv6 and the all-interfaces form', () => {
    expect(parseListeners('PLAINTEXT://127.0.0.1:9092, internal://[::1]:9093,X://:1', 'listeners')).toEqual([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { name: 'INTERNAL', host: '::1', port: 9093 },
      { name: 'X', host: '0.0.0.0', port: 1 },
    ]);
  });
});

describe('listeners', () => {
  it('supports named listeners with a protocol map and an inter-broker listener', () => {
    const config = resolveBrokerConfig(
      new Map([
        ['listeners', 'INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092'],
        ['advertised.listeners', 'INTERNAL://broker-1:29092,EXTERNAL://localhost:9092'],
        ['listener.security.protocol.map', 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT'],
        ['inter.broker.listener.name', 'INTERNAL'],
      ]),
    );
    expect(config.interBrokerListenerName).toBe('INTERNAL');
    expect(config.advertisedListeners.map((l) => `${l.name}:${l.host}:${l.port}`)).toEqual([
      'INTERNAL:broker-1:29092',
      'EXTERNAL:localhost:9092',
    ]);
  });

  it('refuses listeners without a PLAINTEXT mapping', () => {
    expect(() => resolveBrokerConfig(new Map([['listeners', 'SSL://:9093']]))).toThrow(/protocol\.map/);
  });
});
