// The service clamps the numbers it is sent (a workspace's settings file can hold anything).
import assert from 'node:assert/strict';
import { clamp, clampSettings } from '../../src/server/limits';

describe('service limits', () => {
  it('clamps topK, contextTokens and maxFileSizeMB into their declared ranges', () => {
    assert.equal(clamp('topK', 100000), 50);
    assert.equal(clamp('topK', 0), 1);
    assert.equal(clamp('topK', -3), 1);
    assert.equal(clamp('topK', 7.6), 8);
    assert.equal(clamp('contextTokens', 1e9), 4096);
    assert.equal(clamp('contextTokens', 2), 16);
    assert.equal(clamp('maxFileSizeMB', 0), 0.1);
    assert.equal(clamp('maxFileSizeMB', 2.5), 2.5);
  });

  it('replaces what is not a finite number by the default', () => {
    for (const bad of [NaN, Infinity, -Infinity, '12', null, undefined, {}]) {
      assert.equal(clamp('topK', bad), 8, String(bad));
      assert.equal(clamp('contextTokens', bad), 256, String(bad));
    }
  });

  it('keeps every other setting as sent', () => {
    const s = clampSettings({ model: '/m', bundledModel: '/b', devices: ['cpu'], topK: 1e6, contextTokens: 8, maxFileSizeMB: 5 });
    assert.deepEqual(s, { model: '/m', bundledModel: '/b', devices: ['cpu'], precision: 'fp32', topK: 50, contextTokens: 16, maxFileSizeMB: 5 });
  });

  it('keeps a known precision and runs fp32 for anything else', () => {
    const base = { model: '/m', bundledModel: '/b', devices: ['cpu' as const], topK: 8, contextTokens: 256, maxFileSizeMB: 5 };
    for (const p of ['auto', 'fp32', 'int8'] as const) assert.equal(clampSettings({ ...base, precision: p }).precision, p);
    assert.equal(clampSettings({ ...base, precision: 'int4' as unknown as 'int8' }).precision, 'fp32');
  });
});
