import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULTS,
  initializationOptions,
  serverPathScope,
  whereToSetServerPath,
  type ConfigReader,
} from '../settings';

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
    assert.deepEqual(initializationOptions(config({})), { offline: false, hubTimeout: 10, debounceMs: 0, outputDir: '' });
    assert.deepEqual(initializationOptions(config({})), { ...DEFAULTS });
  });

  it('replaces wrong-typed or out-of-range values by the defaults', () => {
    assert.deepEqual(
      initializationOptions(config({ offline: 'yes', hubTimeout: -1, debounceMs: Number.NaN, outputDir: 42 })),
      { ...DEFAULTS },
    );
    assert.equal(initializationOptions(config({ hubTimeout: '5' })).hubTimeout, 10);
    assert.equal(initializationOptions(config({ debounceMs: Infinity })).debounceMs, 0);
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

describe('where vllmWizard.server.path is set (machine-overridable)', () => {
  it('names the Remote settings in a remote window, the User settings locally', () => {
    assert.deepEqual(serverPathScope({}, 'ssh-remote'), {
      name: 'Remote settings (ssh-remote)',
      command: 'workbench.action.openRemoteSettings',
    });
    assert.deepEqual(serverPathScope({}, undefined), { name: 'User settings', command: 'workbench.action.openSettings' });
    assert.deepEqual(serverPathScope(undefined, ''), { name: 'User settings', command: 'workbench.action.openSettings' });
  });

  it('names the workspace or folder settings when the value comes from there', () => {
    assert.equal(serverPathScope({ workspaceValue: '/x' }, 'ssh-remote').name, 'Workspace settings');
    assert.equal(
      serverPathScope({ workspaceValue: '/x', workspaceFolderValue: '/y' }, undefined).command,
      'workbench.action.openFolderSettings',
    );
  });

  it('says that User settings do not reach a remote window', () => {
    assert.equal(
      whereToSetServerPath('ssh-remote'),
      'set vllmWizard.server.path in the Remote settings (ssh-remote): in a remote window the User settings ' +
        'of this computer do not apply to it',
    );
    assert.equal(whereToSetServerPath(undefined), 'set vllmWizard.server.path in your User settings');
  });
});

