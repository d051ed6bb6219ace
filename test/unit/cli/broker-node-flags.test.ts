import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS } from '../../../cli/broker-node-flags.js';
import { projectRoot } from '../../support/processes.js';

// The flags are spelled out where a constant cannot reach: the CLI's shebang (`npx sluice broker`) and
// the Docker image's entrypoint. These must not drift from the one list.
describe('broker V8 flags', () => {
  it('the sluice executable and the Docker entrypoint pass every broker flag', () => {
    const shebang = readFileSync(join(projectRoot, 'cli', 'main.ts'), 'utf8').split('\n')[0]!;
    const entrypoint = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('ENTRYPOINT'))!;
    expect(BROKER_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of BROKER_NODE_FLAGS) {
      expect(shebang.split(' ')).toContain(flag);
      expect(entrypoint).toContain(JSON.stringify(flag));
    }
  });
});
