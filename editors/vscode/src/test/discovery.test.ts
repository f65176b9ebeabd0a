import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  discoverServer,
  ENV_MARKER,
  expandPath,
  INSTALL_COMMAND,
  parseLoginShellPath,
  serverCandidates,
  type RunResult,
  type Runner,
} from '../discovery';

/** A runner that answers from a table keyed by the command line, and records each call. */
function fakeRunner(answers: Record<string, RunResult>): Runner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (command: string, args: readonly string[], _timeoutMs: number): Promise<RunResult> => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    return answers[line] ?? { exitCode: null, stdout: '', stderr: '', error: `spawn ${command} ENOENT` };
  };
  return Object.assign(run, { calls });
}

const OK: RunResult = { exitCode: 0, stdout: 'vllm-wizard 0.1.0\n', stderr: '' };
const NO_MODULE: RunResult = {
  exitCode: 1,
  stdout: '',
  stderr: '/venv/bin/python: No module named vllm_wizard\n',
};

describe('serverCandidates', () => {
  it('tries the setting, then the Python interpreter, then PATH', () => {
    const { candidates } = serverCandidates({
      serverPath: '/opt/vw/bin/vllm-wizard',
      trusted: true,
      pythonCommand: ['/venv/bin/python'],
    });
    assert.deepEqual(
      candidates.map((c) => [c.source, c.command, c.args, c.versionArgs]),
      [
        ['setting', '/opt/vw/bin/vllm-wizard', ['lsp', '--stdio'], ['--version']],
        ['python', '/venv/bin/python', ['-m', 'vllm_wizard', 'lsp', '--stdio'], ['-m', 'vllm_wizard', '--version']],
        ['path', 'vllm-wizard', ['lsp', '--stdio'], ['--version']],
        ['path-python', 'python3', ['-m', 'vllm_wizard', 'lsp', '--stdio'], ['-m', 'vllm_wizard', '--version']],
      ],
    );
  });

  it('keeps the rest of a multi-part interpreter command before -m', () => {
    const { candidates } = serverCandidates({ trusted: true, pythonCommand: ['conda', 'run', '-n', 'llm', 'python'] });
    assert.equal(candidates[0].command, 'conda');
    assert.deepEqual(candidates[0].args, ['run', '-n', 'llm', 'python', '-m', 'vllm_wizard', 'lsp', '--stdio']);
    assert.deepEqual(candidates[0].versionArgs, ['run', '-n', 'llm', 'python', '-m', 'vllm_wizard', '--version']);
  });

  it('skips an empty setting and a missing interpreter', () => {
    const { candidates, notes } = serverCandidates({ serverPath: '   ', trusted: true });
    assert.deepEqual(
      candidates.map((c) => c.source),
      ['path', 'path-python'],
    );
    assert.match(notes.join('\n'), /No Python interpreter from the Python extension/);
  });

  it('ignores the setting and the interpreter in an untrusted workspace', () => {
    const { candidates, notes } = serverCandidates({
      serverPath: './evil',
      trusted: false,
      pythonCommand: ['/workspace/.venv/bin/python'],
    });
    assert.deepEqual(
      candidates.map((c) => c.source),
      ['path'],
    );
    assert.match(notes.join('\n'), /server\.path \(\.\/evil\) is ignored because this workspace is not trusted/);
    assert.match(notes.join('\n'), /interpreter .* is not used because this workspace is not trusted/);
  });

  it('expands ~ and ${workspaceFolder} in the setting', () => {
    assert.equal(expandPath('~/bin/vllm-wizard', '/home/u'), '/home/u/bin/vllm-wizard');
    assert.equal(expandPath('~', '/home/u'), '/home/u');
    assert.equal(expandPath('${userHome}/x', '/home/u'), '/home/u/x');
    assert.equal(expandPath(' ${workspaceFolder}/.venv/bin/vllm-wizard ', '/h', '/ws'), '/ws/.venv/bin/vllm-wizard');
    assert.equal(expandPath('a~/b', '/home/u'), 'a~/b');
    const { candidates } = serverCandidates({ serverPath: '~/vw', trusted: true, home: '/home/u' });
    assert.equal(candidates[0].command, '/home/u/vw');
  });
});

describe('discoverServer', () => {
  it('takes the first candidate whose version check exits 0 and logs every attempt', async () => {
    const run = fakeRunner({
      '/venv/bin/python -m vllm_wizard --version': NO_MODULE,
      'vllm-wizard --version': OK,
    });
    const log: string[] = [];
    const result = await discoverServer(
      { serverPath: '/missing/vllm-wizard', trusted: true, pythonCommand: ['/venv/bin/python'] },
      run,
      (line) => log.push(line),
      1000,
    );
    assert.deepEqual(run.calls, [
      '/missing/vllm-wizard --version',
      '/venv/bin/python -m vllm_wizard --version',
      'vllm-wizard --version',
    ]);
    assert.equal(result.server?.source, 'path');
    assert.equal(result.server?.version, 'vllm-wizard 0.1.0');
    assert.deepEqual(result.server?.args, ['lsp', '--stdio']);
    assert.deepEqual(
      result.attempts.map((a) => [a.candidate.source, a.ok, a.detail]),
      [
        ['setting', false, 'not found'],
        ['python', false, 'exit code 1: /venv/bin/python: No module named vllm_wizard'],
        ['path', true, 'vllm-wizard 0.1.0'],
      ],
    );
    const text = log.join('\n');
    assert.match(text, /Trying vllmWizard\.server\.path \/missing\/vllm-wizard: \/missing\/vllm-wizard --version/);
    assert.match(text, /failed: not found/);
    assert.match(text, /No module named vllm_wizard/);
    assert.match(text, /found vllm-wizard 0\.1\.0; starting vllm-wizard lsp --stdio/);
  });

  it('stops at the first that works', async () => {
    const run = fakeRunner({ '/venv/bin/python -m vllm_wizard --version': OK, 'vllm-wizard --version': OK });
    const result = await discoverServer({ trusted: true, pythonCommand: ['/venv/bin/python'] }, run, () => {}, 1000);
    assert.equal(result.server?.source, 'python');
    assert.deepEqual(result.server?.args, ['-m', 'vllm_wizard', 'lsp', '--stdio']);
    assert.deepEqual(run.calls, ['/venv/bin/python -m vllm_wizard --version']);
  });

  it('reports nothing found with the install command, never silently', async () => {
    const run = fakeRunner({
      'vllm-wizard --version': { exitCode: null, stdout: '', stderr: '', timedOut: true, error: 'killed' },
    });
    const log: string[] = [];
    const result = await discoverServer({ trusted: true }, run, (line) => log.push(line), 2000);
    assert.equal(result.server, undefined);
    assert.deepEqual(
      result.attempts.map((a) => a.detail),
      ['no answer within 2 s', 'not found'],
    );
    assert.ok(log.some((line) => line.includes(INSTALL_COMMAND)));
  });

  it('treats a runner that throws as a failed attempt', async () => {
    const run: Runner = async () => {
      throw new Error('boom');
    };
    const result = await discoverServer({ trusted: true }, run, () => {}, 1000);
    assert.equal(result.server, undefined);
    assert.equal(result.attempts[0].detail, 'boom');
  });

  it('falls back to stderr for the version and says so when a check exits non-zero silently', async () => {
    const run = fakeRunner({
      '/x --version': { exitCode: 2, stdout: '', stderr: '' },
      'vllm-wizard --version': { exitCode: 0, stdout: '', stderr: 'vllm-wizard 0.2.0\n' },
    });
    const result = await discoverServer({ serverPath: '/x', trusted: true }, run, () => {}, 1000);
    assert.equal(result.attempts[0].detail, 'exit code 2');
    assert.equal(result.server?.version, 'vllm-wizard 0.2.0');
  });
});

describe('the login shell (a remote window: Remote-SSH, code-server)', () => {
  const HOST_PATH = '/usr/bin:/bin';
  const LOGIN_PATH = '/home/u/.venvs/llm/bin:/home/u/.local/bin:/usr/bin:/bin';

  /** A runner that finds commands only on the PATH it is given, as the extension host does. */
  function pathRunner(installed: Record<string, string>): Runner & { calls: string[] } {
    const calls: string[] = [];
    const run = async (command: string, args: readonly string[], _t: number, env?: Record<string, string>) => {
      const path = env?.PATH ?? HOST_PATH;
      calls.push(`${env?.PATH !== undefined ? '[login PATH] ' : ''}${[command, ...args].join(' ')}`);
      const home = installed[[command, ...args].join(' ')];
      if (home !== undefined && path.split(':').includes(home)) {
        return OK;
      }
      return { exitCode: null, stdout: '', stderr: '', error: `spawn ${command} ENOENT` };
    };
    return Object.assign(run, { calls });
  }

  it('finds vllm-wizard on the login shell PATH when the host PATH lacks it', async () => {
    const run = pathRunner({ 'vllm-wizard --version': '/home/u/.venvs/llm/bin' });
    let asked = 0;
    const log: string[] = [];
    const result = await discoverServer(
      {
        trusted: true,
        path: HOST_PATH,
        loginShellPath: async () => {
          asked += 1;
          return LOGIN_PATH;
        },
      },
      run,
      (line) => log.push(line),
      1000,
    );
    assert.equal(asked, 1);
    assert.deepEqual(run.calls, [
      'vllm-wizard --version',
      'python3 -m vllm_wizard --version',
      '[login PATH] vllm-wizard --version',
    ]);
    assert.equal(result.server?.source, 'login-shell');
    assert.deepEqual(result.server?.env, { PATH: LOGIN_PATH });
    assert.equal(result.server?.label, "vllm-wizard on your login shell's PATH");
    assert.match(log.join('\n'), /login shell's PATH differs from the extension host's/);
  });

  it("falls back to python3 -m vllm_wizard of the login shell's PATH", async () => {
    const run = pathRunner({ 'python3 -m vllm_wizard --version': '/home/u/.venvs/llm/bin' });
    const result = await discoverServer(
      { trusted: true, path: HOST_PATH, loginShellPath: async () => LOGIN_PATH },
      run,
      () => {},
      1000,
    );
    assert.equal(result.server?.source, 'login-shell-python');
    assert.deepEqual(result.server?.args, ['-m', 'vllm_wizard', 'lsp', '--stdio']);
    assert.deepEqual(result.server?.env, { PATH: LOGIN_PATH });
  });

  it('asks the login shell only when nothing else worked, and never twice', async () => {
    let asked = 0;
    const loginShellPath = async () => {
      asked += 1;
      return LOGIN_PATH;
    };
    const found = await discoverServer(
      { trusted: true, path: HOST_PATH, loginShellPath },
      pathRunner({ 'vllm-wizard --version': '/usr/bin' }),
      () => {},
      1000,
    );
    assert.equal(found.server?.source, 'path');
    assert.equal(asked, 0);
    const none = await discoverServer({ trusted: true, path: HOST_PATH, loginShellPath }, pathRunner({}), () => {}, 1000);
    assert.equal(none.server, undefined);
    assert.equal(asked, 1);
    assert.deepEqual(
      none.attempts.map((a) => a.candidate.source),
      ['path', 'path-python', 'login-shell', 'login-shell-python'],
    );
  });

  it('skips the login shell when its PATH is the same, unreadable, or the workspace untrusted', async () => {
    for (const input of [
      { trusted: true, loginShellPath: async () => HOST_PATH },
      { trusted: true, loginShellPath: async () => undefined },
      {
        trusted: true,
        loginShellPath: async (): Promise<string> => {
          throw new Error('no shell');
        },
      },
      { trusted: false, loginShellPath: async () => LOGIN_PATH },
    ]) {
      const result = await discoverServer({ ...input, path: HOST_PATH }, pathRunner({}), () => {}, 1000);
      assert.ok(result.attempts.every((a) => !a.candidate.source.startsWith('login-shell')));
    }
  });

  it('never runs python -m in an untrusted workspace (the folder would shadow the package)', () => {
    const { candidates } = serverCandidates({ trusted: false });
    assert.deepEqual(
      candidates.map((c) => c.source),
      ['path'],
    );
  });

  it("reads PATH after the marker, whatever the shell's profile prints first", () => {
    const out = `Welcome!\nPATH=/fake\n${ENV_MARKER}\nHOME=/home/u\nPATH=${LOGIN_PATH}\nSHLVL=1\n`;
    assert.equal(parseLoginShellPath(out), LOGIN_PATH);
    assert.equal(parseLoginShellPath('PATH=/no/marker\n'), undefined);
    assert.equal(parseLoginShellPath(`${ENV_MARKER}\nHOME=/x\n`), undefined);
  });
});
