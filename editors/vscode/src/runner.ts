// The real Runner for discovery: child_process.execFile with a timeout. No VS Code import.

import { execFile } from 'node:child_process';
import { loginShellCommand, parseLoginShellPath, type RunResult, type Runner } from './discovery';

export function processRunner(cwd?: string): Runner {
  return (command, args, timeoutMs, env) =>
    new Promise<RunResult>((resolve) => {
      try {
        execFile(
          command,
          [...args],
          {
            cwd,
            // With env.PATH set, the command itself is looked up on that PATH too.
            env: env !== undefined ? { ...process.env, ...env } : undefined,
            timeout: timeoutMs,
            windowsHide: true,
            maxBuffer: 1024 * 1024,
            encoding: 'utf8',
          },
          (error, stdout, stderr) => {
            if (error === null) {
              resolve({ exitCode: 0, stdout, stderr });
              return;
            }
            const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null };
            const code = failure.code;
            const exitCode = typeof code === 'number' ? code : null;
            const timedOut = failure.killed === true && exitCode === null;
            resolve({
              exitCode,
              stdout,
              stderr,
              timedOut,
              error: exitCode === null ? failure.message : undefined,
            });
          },
        );
      } catch (err) {
        // execFile throws synchronously for some invalid arguments (e.g. a NUL byte in the path).
        resolve({ exitCode: null, stdout: '', stderr: '', error: err instanceof Error ? err.message : String(err) });
      }
    });
}

export const LOGIN_SHELL_TIMEOUT_MS = 5_000;

/**
 * The PATH a terminal of the user has: `$SHELL -l -c env`. Undefined on Windows, without $SHELL,
 * or when the shell fails or takes longer than LOGIN_SHELL_TIMEOUT_MS.
 */
export async function loginShellPath(
  run: Runner,
  shell: string | undefined = process.env.SHELL,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  if (platform === 'win32' || shell === undefined || shell === '') {
    return undefined;
  }
  const { command, args } = loginShellCommand(shell);
  const result = await run(command, args, LOGIN_SHELL_TIMEOUT_MS);
  return result.exitCode === 0 ? parseLoginShellPath(result.stdout) : undefined;
}
