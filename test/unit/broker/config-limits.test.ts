import { describe, expect, it } from 'vitest';
import { ConfigError, resolveBrokerConfig } from '../../../broker/config.js';

const resolve = (entries: Record<string, string> = {}) =>
  resolveBrokerConfig(new Map(Object.entries(entries)));

describe('request and connection limit keys', () => {
  it('has bounded defaults for a laptop broker', () => {
    const config = resolve();
    expect(config.queuedMaxRequestBytes).toBe(256 * 1024 * 1024);
    expect(config.maxConnections).toBe(2147483647);
    expect(config.maxConnectionsPerIp).toBe(2147483647);
    expect(config.maxConnectionsPerIpOverrides.size).toBe(0);
    expect(config.requestReadTimeoutMs).toBe(30_000);
  });

  it('reads overrides and rejects a pool smaller than the largest frame', () => {
    const config = resolve({
      'max.connections.per.ip.overrides': '127.0.0.1:5, [::1]:7',
      'queued.max.request.bytes': '-1',
    });
    expect([...config.maxConnectionsPerIpOverrides]).toEqual([
      ['127.0.0.1', 5],
      ['::1', 7],
    ]);
    expect(config.queuedMaxRequestBytes).toBe(-1);
    expect(() => resolve({ 'queued.max.request.bytes': '1000' })).toThrow(ConfigError);
    expect(() => resolve({ 'max.connections.per.ip.overrides': 'nocount' })).toThrow(ConfigError);
    expect(() => resolve({ 'max.connections': '-1' })).toThrow(ConfigError);
  });
});
