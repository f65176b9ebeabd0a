// Finding the vllm-wizard language server. Pure: the process runner and the log are
// injected, so this module runs (and is tested) without VS Code.

/**
 * Where a candidate came from, in the order they are tried: the setting, the interpreter selected
 * in the Python extension, `vllm-wizard` and then `python3 -m vllm_wizard` on the extension host's
 * PATH, and the same two on the PATH of the user's login shell. A remote extension host (Remote-SSH,
 * code-server) is started without the user's shell profile, so a venv or ~/.local/bin that the
 * profile puts on PATH is missing from the host's own PATH.
 */
export type CandidateSource = 'setting' | 'python' | 'path' | 'path-python' | 'login-shell' | 'login-shell-python';

export interface ServerCandidate {
  source: CandidateSource;
  /** What the log and messages call it, e.g. "the Python interpreter /venv/bin/python". */
  label: string;
  command: string;
  /** Arguments that start the language server. */
  args: string[];
  /** Arguments that make it print its version and exit. */
  versionArgs: string[];
  /** Environment entries to set for the version check and the server (the login shell's PATH). */
  env?: Record<string, string>;
}

export interface FoundServer extends ServerCandidate {
  /** First line the version check printed, e.g. "vllm-wizard 0.1.0". */
  version: string;
}

export interface DiscoveryInput {
  /** `vllmWizard.server.path` as the user wrote it (may be empty). */
  serverPath?: string;
  /** Whether the workspace is trusted. Untrusted: the setting and the Python interpreter are skipped. */
  trusted: boolean;
  /** The selected interpreter's command line from the Python extension, e.g. ["/venv/bin/python"]. */
  pythonCommand?: readonly string[];
  /** Used to expand `~` and `${userHome}` in serverPath. */
  home?: string;
  /** Used to expand `${workspaceFolder}` in serverPath. */
  workspaceFolder?: string;
  /** The extension host's PATH; a login-shell PATH equal to it adds nothing to try. */
  path?: string;
  /** The PATH of the user's login shell, asked only when nothing else worked (it starts a shell). */
  loginShellPath?: () => Promise<string | undefined>;
  /** `python3` on PATH, or `python` where that is its name (Windows). */
  python3?: string;
}

export interface RunResult {
  /** null when the process did not exit by itself (spawn error, timeout, signal). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Why it could not run, e.g. "spawn vllm-wizard ENOENT". */
  error?: string;
  timedOut?: boolean;
}

/** Runs `command args` (with `env` over the host's environment) and resolves, never rejects. */
export type Runner = (
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env?: Record<string, string>,
) => Promise<RunResult>;

export type Logger = (line: string) => void;

export interface Attempt {
  candidate: ServerCandidate;
  ok: boolean;
  /** The version on success, the reason otherwise. */
  detail: string;
}

export interface DiscoveryResult {
  server?: FoundServer;
  attempts: Attempt[];
  /** Things the user should know that are not attempts (a setting ignored, no interpreter). */
  notes: string[];
}

export const VERSION_CHECK_TIMEOUT_MS = 10_000;
export const INSTALL_COMMAND = 'pip install vllm-wizard';
export const EXECUTABLE = 'vllm-wizard';
export const PYTHON_MODULE = 'vllm_wizard';
export const SERVER_ARGS: readonly string[] = ['lsp', '--stdio'];
/** Printed before `env` by the login shell, so that what its profile prints can be told apart. */
export const ENV_MARKER = '__VLLM_WIZARD_ENV__';

/** The login shell command that prints the environment a user's terminal has. */
export function loginShellCommand(shell: string): { command: string; args: string[] } {
  return { command: shell, args: ['-l', '-c', `echo ${ENV_MARKER}; env`] };
}

/** PATH from the output of `loginShellCommand` (whatever the profile printed before is skipped). */
export function parseLoginShellPath(stdout: string): string | undefined {
  const lines = stdout.split(/\r?\n/);
  const start = lines.lastIndexOf(ENV_MARKER);
  if (start < 0) {
    return undefined;
  }
  const entry = lines.slice(start + 1).find((line) => line.startsWith('PATH='));
  const path = entry?.slice('PATH='.length).trim();
  return path ? path : undefined;
}

/** The candidates that run from a PATH: `vllm-wizard`, then `python3 -m vllm_wizard`. */
function pathCandidates(
  python3: string,
  where: 'path' | 'login-shell',
  env?: Record<string, string>,
): ServerCandidate[] {
  const on = where === 'path' ? 'on PATH' : "on your login shell's PATH";
  const environment = env !== undefined ? { env } : {};
  return [
    {
      source: where,
      label: `${EXECUTABLE} ${on}`,
      command: EXECUTABLE,
      args: [...SERVER_ARGS],
      versionArgs: ['--version'],
      ...environment,
    },
    {
      source: where === 'path' ? 'path-python' : 'login-shell-python',
      label: `${python3} -m ${PYTHON_MODULE} ${on}`,
      command: python3,
      args: ['-m', PYTHON_MODULE, ...SERVER_ARGS],
      versionArgs: ['-m', PYTHON_MODULE, '--version'],
      ...environment,
    },
  ];
}

/** Expands `~`, `${userHome}` and `${workspaceFolder}` in a configured path. */
export function expandPath(raw: string, home?: string, workspaceFolder?: string): string {
  let value = raw.trim();
  if (home !== undefined) {
    if (value === '~') {
      value = home;
    } else if (value.startsWith('~/') || value.startsWith('~\\')) {
      value = home + value.slice(1);
    }
    value = value.split('${userHome}').join(home);
  }
  if (workspaceFolder !== undefined) {
    value = value.split('${workspaceFolder}').join(workspaceFolder);
  }
  return value;
}

/** The candidates to try, first to last, and notes about what was left out. */
export function serverCandidates(input: DiscoveryInput): { candidates: ServerCandidate[]; notes: string[] } {
  const candidates: ServerCandidate[] = [];
  const notes: string[] = [];

  const configured = (input.serverPath ?? '').trim();
  if (configured !== '') {
    if (!input.trusted) {
      notes.push(`vllmWizard.server.path (${configured}) is ignored because this workspace is not trusted.`);
    } else {
      const command = expandPath(configured, input.home, input.workspaceFolder);
      candidates.push({
        source: 'setting',
        label: `vllmWizard.server.path ${command}`,
        command,
        args: [...SERVER_ARGS],
        versionArgs: ['--version'],
      });
    }
  }

  const python = (input.pythonCommand ?? []).filter((part) => part !== '');
  if (python.length > 0) {
    if (!input.trusted) {
      notes.push(`The selected Python interpreter (${python.join(' ')}) is not used because this workspace is not trusted.`);
    } else {
      const [command, ...prefix] = python;
      candidates.push({
        source: 'python',
        label: `the Python interpreter ${python.join(' ')}`,
        command,
        args: [...prefix, '-m', PYTHON_MODULE, ...SERVER_ARGS],
        versionArgs: [...prefix, '-m', PYTHON_MODULE, '--version'],
      });
    }
  } else {
    notes.push(`No Python interpreter from the Python extension; skipping python -m ${PYTHON_MODULE}.`);
  }

  const onPath = pathCandidates(input.python3 ?? 'python3', 'path');
  // `python -m` puts the working directory (the workspace folder) first on sys.path: a
  // `vllm_wizard` folder in an untrusted workspace would run instead of the installed package.
  candidates.push(...(input.trusted ? onPath : onPath.filter((candidate) => candidate.source === 'path')));

  return { candidates, notes };
}

/** Shell-like rendering of a command line, for the log. */
export function commandLine(command: string, args: readonly string[]): string {
  const quote = (part: string) => (part === '' || /[\s"'$`\\]/.test(part) ? JSON.stringify(part) : part);
  return [command, ...args].map(quote).join(' ');
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  const line = lines.length > 0 ? lines[lines.length - 1] : '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '') ?? '';
}

/** Why a version check failed, in one line. */
export function describeFailure(result: RunResult, timeoutMs: number): string {
  if (result.timedOut) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  if (result.error !== undefined && result.exitCode === null) {
    return /ENOENT/.test(result.error) ? 'not found' : result.error;
  }
  const output = lastLine(result.stderr) || lastLine(result.stdout);
  const status = result.exitCode === null ? 'did not exit normally' : `exit code ${result.exitCode}`;
  return output !== '' ? `${status}: ${output}` : status;
}

async function tryCandidate(candidate: ServerCandidate, run: Runner, log: Logger, timeoutMs: number): Promise<Attempt> {
  log(`Trying ${candidate.label}: ${commandLine(candidate.command, candidate.versionArgs)}`);
  let result: RunResult;
  try {
    result = await run(candidate.command, candidate.versionArgs, timeoutMs, candidate.env);
  } catch (err) {
    result = { exitCode: null, stdout: '', stderr: '', error: err instanceof Error ? err.message : String(err) };
  }
  if (result.exitCode === 0 && !result.timedOut) {
    const version = firstLine(result.stdout) || firstLine(result.stderr) || 'unknown version';
    log(`  found ${version}; starting ${commandLine(candidate.command, candidate.args)}`);
    return { candidate, ok: true, detail: version };
  }
  const detail = describeFailure(result, timeoutMs);
  log(`  failed: ${detail}`);
  return { candidate, ok: false, detail };
}

/** The login shell's candidates, when its PATH differs from the host's; [] otherwise. */
async function loginShellCandidates(input: DiscoveryInput, log: Logger): Promise<ServerCandidate[]> {
  if (input.loginShellPath === undefined || !input.trusted) {
    return [];
  }
  let path: string | undefined;
  try {
    path = await input.loginShellPath();
  } catch (err) {
    log(`Could not read your login shell's PATH: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
  if (path === undefined || path === input.path) {
    log(path === undefined ? "Could not read your login shell's PATH." : "Your login shell's PATH is the same.");
    return [];
  }
  log(`Your login shell's PATH differs from the extension host's: ${path}`);
  return pathCandidates(input.python3 ?? 'python3', 'login-shell', { PATH: path });
}

/**
 * Tries each candidate's version check in order; the first that exits 0 wins. Logs every attempt.
 * The login shell is asked for its PATH only when every other candidate failed.
 */
export async function discoverServer(
  input: DiscoveryInput,
  run: Runner,
  log: Logger,
  timeoutMs: number = VERSION_CHECK_TIMEOUT_MS,
): Promise<DiscoveryResult> {
  const { candidates, notes } = serverCandidates(input);
  for (const note of notes) {
    log(note);
  }
  const attempts: Attempt[] = [];
  let pending = candidates;
  let askedShell = false;
  while (pending.length > 0) {
    for (const candidate of pending) {
      const attempt = await tryCandidate(candidate, run, log, timeoutMs);
      attempts.push(attempt);
      if (attempt.ok) {
        return { server: { ...candidate, version: attempt.detail }, attempts, notes };
      }
    }
    pending = askedShell ? [] : await loginShellCandidates(input, log);
    askedShell = true;
  }
  log(`No vLLM Wizard language server found. Install it with: ${INSTALL_COMMAND}`);
  return { attempts, notes };
}
