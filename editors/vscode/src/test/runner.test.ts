import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverServer } from '../discovery';
import { loginShellPath, processRunner } from '../runner';

const node = process.execPath;

/** A fresh folder under the system's temporary folder, removed when the tests end. */
function scratch(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

describe('processRunner', () => {
  it('reports exit code 0 and stdout', async () => {
    const result = await processRunner()(node, ['-e', 'console.log("vllm-wizard 9.9.9")'], 5000);
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout.trim(), 'vllm-wizard 9.9.9');
  });

  it('reports a non-zero exit code and stderr', async () => {
    const result = await processRunner()(node, ['-e', 'console.error("No module named vllm_wizard"); process.exit(3)'], 5000);
    assert.equal(result.exitCode, 3);
    assert.match(result.stderr, /No module named vllm_wizard/);
    assert.equal(result.timedOut, false);
  });

  it('reports a missing executable without throwing', async () => {
    const result = await processRunner()('vllm-wizard-does-not-exist-anywhere', ['--version'], 5000);
    assert.equal(result.exitCode, null);
    assert.match(result.error ?? '', /ENOENT/);
  });

  it('kills a check that does not answer in time', async () => {
    const result = await processRunner()(node, ['-e', 'setTimeout(() => {}, 10000)'], 200);
    assert.equal(result.exitCode, null);
    assert.equal(result.timedOut, true);
  });

  it('drives discovery end to end with a real process', async () => {
    // A fake "vllm-wizard": node itself, given as the configured server path, whose
    // `--version` prints e.g. v20.x and exits 0.
    const result = await discoverServer({ serverPath: node, trusted: true }, processRunner(), () => {}, 5000);
    assert.equal(result.server?.source, 'setting');
    assert.equal(result.server?.version, process.version);
  });
});

describe('loginShellPath', () => {
  it("reads the PATH a login shell's profile sets, past what the profile prints", async () => {
    const home = scratch('vllm-wizard-home-');
    writeFileSync(join(home, '.profile'), 'echo "hello from .profile"\nexport PATH="$HOME/.venvs/llm/bin:$PATH"\n');
    const run = processRunner();
    const inHome: typeof run = (command, args, timeoutMs) => run(command, args, timeoutMs, { HOME: home });
    const path = await loginShellPath(inHome, '/bin/sh', 'linux');
    assert.ok(path?.startsWith(`${home}/.venvs/llm/bin:`), path);
  });

  it('is undefined on Windows, without a shell, or when the shell fails', async () => {
    const run = processRunner();
    assert.equal(await loginShellPath(run, '/bin/sh', 'win32'), undefined);
    assert.equal(await loginShellPath(run, '', 'linux'), undefined);
    assert.equal(await loginShellPath(run, '/no/such/shell', 'linux'), undefined);
  });

  it('starts the server with the PATH it was found on', async () => {
    const home = scratch('vllm-wizard-bin-');
    const fake = join(home, 'vllm-wizard');
    writeFileSync(fake, '#!/bin/sh\necho "vllm-wizard 0.1.0"\n');
    chmodSync(fake, 0o755);
    const result = await discoverServer(
      { trusted: true, path: process.env.PATH, loginShellPath: async () => `${home}:${process.env.PATH}` },
      processRunner(),
      () => {},
      5000,
    );
    assert.equal(result.server?.source, 'login-shell');
    assert.equal(result.server?.version, 'vllm-wizard 0.1.0');
  });
});
