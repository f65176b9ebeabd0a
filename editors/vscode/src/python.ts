// The interpreter selected in the Python extension (ms-python.python), if it is installed.

import * as vscode from 'vscode';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The parts of the Python extension's exported API used here; everything is optional. */
interface PythonExtensionApi {
  ready?: Promise<void>;
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { id?: string; path?: string } | undefined;
    resolveEnvironment?(
      environment: { id?: string; path?: string } | string,
    ): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined;
  };
}

const ACTIVATION_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

async function pythonApi(log: (line: string) => void): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (extension === undefined) {
    log(`The Python extension (${PYTHON_EXTENSION_ID}) is not installed.`);
    return undefined;
  }
  try {
    const api = extension.isActive
      ? extension.exports
      : await withTimeout(extension.activate(), ACTIVATION_TIMEOUT_MS, 'Activating the Python extension');
    if (api?.ready !== undefined) {
      await withTimeout(api.ready, ACTIVATION_TIMEOUT_MS, 'Waiting for the Python extension');
    }
    return api ?? undefined;
  } catch (err) {
    log(`The Python extension did not answer: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** The command line of the selected interpreter for `resource`, e.g. ["/venv/bin/python"]. */
export async function selectedInterpreter(
  resource: vscode.Uri | undefined,
  log: (line: string) => void,
): Promise<string[] | undefined> {
  const api = await pythonApi(log);
  if (api === undefined) {
    return undefined;
  }
  try {
    const environments = api.environments;
    const active = environments?.getActiveEnvironmentPath?.(resource);
    if (active?.path) {
      let executable: string | undefined;
      if (environments?.resolveEnvironment !== undefined) {
        try {
          const resolved = await withTimeout(
            environments.resolveEnvironment(active),
            ACTIVATION_TIMEOUT_MS,
            'Resolving the Python environment',
          );
          executable = resolved?.executable?.uri?.fsPath;
        } catch (err) {
          log(`Could not resolve the Python environment ${active.path}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      // An unresolved environment's path is usually the interpreter itself.
      return [executable ?? active.path];
    }
    const execCommand = api.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (Array.isArray(execCommand) && execCommand.length > 0) {
      return execCommand.filter((part) => typeof part === 'string' && part !== '');
    }
    log('The Python extension has no interpreter selected.');
  } catch (err) {
    log(`Could not ask the Python extension for the interpreter: ${err instanceof Error ? err.message : String(err)}`);
  }
  return undefined;
}

/** Fires when the selected interpreter changes; a no-op when the Python extension is absent. */
export function onDidChangeInterpreter(listener: () => void): vscode.Disposable {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  const event = extension?.isActive ? extension.exports?.environments?.onDidChangeActiveEnvironmentPath : undefined;
  return event !== undefined ? event(() => listener()) : new vscode.Disposable(() => undefined);
}
