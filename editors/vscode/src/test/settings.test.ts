import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS, initializationOptions, type ConfigReader } from '../settings';

function config(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('initializationOptions', () => {
  it('passes the four server settings through', () => {
    assert.deepEqual(
      initializationOptions(config({ offline: true, hubTimeout: 3.5, debounceMs: 0, outputDir: 'out/deploy' })),
      { offline: true, hubTimeout: 3.5, debounceMs: 0, outputDir: 'out/deploy' },
    );
  });

  it('uses the defaults for missing values', () => {
    assert.deepEqual(initializationOptions(config({})), { offline: false, hubTimeout: 10, debounceMs: 30, outputDir: '' });
    assert.deepEqual(initializationOptions(config({})), { ...DEFAULTS });
  });

  it('replaces wrong-typed or out-of-range values by the defaults', () => {
    assert.deepEqual(
      initializationOptions(config({ offline: 'yes', hubTimeout: -1, debounceMs: Number.NaN, outputDir: 42 })),
      { ...DEFAULTS },
    );
    assert.equal(initializationOptions(config({ hubTimeout: '5' })).hubTimeout, 10);
    assert.equal(initializationOptions(config({ debounceMs: Infinity })).debounceMs, 30);
  });

  it('never sends client-only settings to the server', () => {
    const options = initializationOptions(
      config({ 'server.path': '/x', 'trace.server': 'verbose', server: { path: '/x' }, trace: { server: 'verbose' } }),
    );
    assert.deepEqual(Object.keys(options).sort(), ['debounceMs', 'hubTimeout', 'offline', 'outputDir']);
  });

  it('trims the output folder', () => {
    assert.equal(initializationOptions(config({ outputDir: '  deploy/prod  ' })).outputDir, 'deploy/prod');
  });
});
