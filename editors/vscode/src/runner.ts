// The real Runner for discovery: child_process.execFile with a timeout. No VS Code import.

import { execFile } from 'node:child_process';
import type { RunResult, Runner } from './discovery';

export function processRunner(cwd?: string): Runner {
  return (command, args, timeoutMs) =>
    new Promise<RunResult>((resolve) => {
      try {
        execFile(
          command,
          [...args],
          { cwd, timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024, encoding: 'utf8' },
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
