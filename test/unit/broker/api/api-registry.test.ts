import { describe, expect, it } from 'vitest';
import { ApiRegistry } from '../../../../broker/api/registry.js';
import { apiDescriptor } from '../../../../protocol/index.js';

describe('API handler registry', () => {
  const registry = new ApiRegistry();

  it('advertises each handler with the version range of its declaration (what is advertised is handled)', () => {
    const advertised = registry.advertised();
    expect(advertised.map((a) => a.apiKey)).toEqual([
      0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 32, 42, 47,
    ]);
    for (const api of advertised) {
      const declaration = apiDescriptor(api.apiKey)!;
      expect([api.minVersion, api.maxVersion]).toEqual([declaration.minVersion, declaration.maxVersion]);
      for (let v = api.minVersion; v <= api.maxVersion; v++)
        expect(registry.handlerFor(api.apiKey, v)).toBeDefined();
      expect(registry.handlerFor(api.apiKey, api.maxVersion + 1)).toBeUndefined();
      expect(registry.handlerFor(api.apiKey, api.minVersion - 1)).toBeUndefined();
    }
  });

  it('has no handler for APIs it does not serve', () => {
    expect(registry.handlerFor(24, 0)).toBeUndefined(); // AddPartitionsToTxn: no transactions
    expect(registry.handlerFor(999, 0)).toBeUndefined();
  });
});
