import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverServer } from '../discovery';
import { processRunner } from '../runner';

const node = process.execPath;

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
