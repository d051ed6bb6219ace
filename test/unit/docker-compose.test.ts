import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveBrokerConfig, propertiesFromEnvironment } from '../../broker/config.js';
import { BROKER_NODE_FLAGS } from '../../cli/broker-node-flags.js';
import { projectRoot } from '../support/processes.js';

// docker-compose (Debian's package) validates the file; no Docker engine is needed for `config`.
describe('docker-compose.yml', () => {
  const rendered = execFileSync('docker-compose', ['-f', join(projectRoot, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
  });
  const compose = parse(rendered) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        healthcheck?: unknown;
        ports?: unknown[];
        build?: { context: string; dockerfile?: string };
      }
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

  it('builds every broker image from this checkout: the Dockerfile compiles it and runs its CLI', () => {
    // Compose builds the brokers from the checkout's Dockerfile (the image name only tags the result).
    for (const name of ['broker-1', 'broker-2', 'broker-3']) {
      const service = compose.services[name]!;
      expect(service.build?.context).toBe(projectRoot);
      expect(service.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    }
    const steps = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z]+ /.test(line));
    // The build stage copies the checkout (what .dockerignore leaves) and compiles it.
    expect(steps).toContain('COPY . .');
    expect(steps.some((line) => /^RUN npm run build\b/.test(line))).toBe(true);
    expect(steps).toContain('COPY --from=build /app/dist ./dist');
    const ignored = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
    // The image runs the package's own command with the broker's V8 flags.
    const bin = (
      JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { bin: { sluice: string } }
    ).bin.sluice;
    const entrypoint = steps.find((line) => line.startsWith('ENTRYPOINT '));
    expect(JSON.parse(entrypoint!.slice('ENTRYPOINT '.length))).toEqual([
      'node',
      ...BROKER_NODE_FLAGS,
      `/app/${bin}`,
    ]);
    expect(steps).toContain('CMD ["broker"]');
  });
});
