import { describe, expect, it } from 'vitest';
import { freePorts } from '../support/ports.js';

describe('test support', () => {
  it('hands out distinct free ports', async () => {
    const ports = await freePorts(4);
    expect(new Set(ports).size).toBe(4);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
