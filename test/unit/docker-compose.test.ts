import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveBrokerConfig, propertiesFromEnvironment } from '../../broker/config.js';
import { projectRoot } from '../support/processes.js';

// docker-compose (Debian's package) validates the file; no Docker engine is needed for `config`.
describe('docker-compose.yml', () => {
  const rendered = execFileSync('docker-compose', ['-f', join(projectRoot, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
  });
  const compose = parse(rendered) as {
    services: Record<
      string,
      { environment?: Record<string, string>; healthcheck?: unknown; ports?: unknown[] }
    >;
  };

  it('has a 3-node ZooKeeper ensemble and 3 brokers, each with a health check', () => {
    const names = Object.keys(compose.services).sort();
    expect(names).toEqual(['broker-1', 'broker-2', 'broker-3', 'zookeeper-1', 'zookeeper-2', 'zookeeper-3']);
    for (const service of Object.values(compose.services)) expect(service.healthcheck).toBeDefined();
  });

  it('gives every broker a configuration the broker accepts, with distinct ids and host ports', () => {
    const ids = new Set<number>();
    const external = new Set<string>();
    for (const name of ['broker-1', 'broker-2', 'broker-3']) {
      const env = compose.services[name]!.environment!;
      const config = resolveBrokerConfig(propertiesFromEnvironment(env));
      ids.add(config.brokerId);
      const advertised = config.advertisedListeners.find((l) => l.name === 'EXTERNAL')!;
      expect(advertised.host).toBe('localhost');
      external.add(String(advertised.port));
      expect(config.zookeeperConnect.split(',')).toHaveLength(3);
    }
    expect(ids.size).toBe(3);
    expect(external.size).toBe(3);
  });

  it('builds the image from this checkout', () => {
    expect(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8')).toMatch(
      /ENTRYPOINT \["node", (?:"--[\w=.-]+", )*"\/app\/dist\/cli\/main\.js"\]/,
    );
  });
});
