import { describe, expect, it } from 'vitest';
import { ConnectionLimits } from '../../../../broker/network/connection-limits.js';

describe('ConnectionLimits (max.connections, max.connections.per.ip[.overrides])', () => {
  const limits = () =>
    new ConnectionLimits({
      maxConnections: 4,
      maxConnectionsPerIp: 2,
      maxConnectionsPerIpOverrides: new Map([['10.0.0.9', 3]]),
    });

  it('refuses past the per-IP limit and its override, and counts closes', () => {
    const l = limits();
    expect(l.admit('10.0.0.1', false)).toBeNull();
    expect(l.admit('10.0.0.1', false)).toBeNull();
    expect(l.admit('10.0.0.1', false)).toMatch(/max.connections.per.ip 2/);
    expect(l.admit('10.0.0.9', false)).toBeNull();
    expect(l.admit('10.0.0.9', false)).toBeNull();
    expect(l.admit('10.0.0.9', false)).toMatch(/max.connections 4/);
    l.closed('10.0.0.1', false);
    expect(l.admit('10.0.0.9', false)).toBeNull();
    expect(l.admit('10.0.0.9', false)).toMatch(/max.connections.per.ip 3/);
  });

  it('does not count inter-broker connections against max.connections', () => {
    const l = limits();
    for (const ip of ['a', 'b', 'c', 'd']) expect(l.admit(ip, false)).toBeNull();
    expect(l.admit('e', false)).toMatch(/max.connections/);
    expect(l.admit('e', true)).toBeNull();
  });
});
