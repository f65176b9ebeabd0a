// The `vllmWizard` settings the server reads, as initializationOptions and as the answer to
// workspace/configuration. Pure: takes anything with a `get(key)` (vscode.WorkspaceConfiguration fits).

export const SECTION = 'vllmWizard';

export interface ServerSettings {
  /** Never ask the Hugging Face Hub. */
  offline: boolean;
  /** Seconds to wait for the Hub. */
  hubTimeout: number;
  /** Milliseconds to wait after an edit before re-analysing. */
  debounceMs: number;
  /** Where Generate writes; "" means `deploy/` next to the profile. */
  outputDir: string;
}

export const DEFAULTS: Readonly<ServerSettings> = Object.freeze({
  offline: false,
  hubTimeout: 10,
  debounceMs: 0,
  outputDir: '',
});

/** The part of vscode.WorkspaceConfiguration used here. */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

function nonNegative(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Settings for the server, with wrong-typed or missing values replaced by the defaults. */
export function initializationOptions(config: ConfigReader): ServerSettings {
  const offline = config.get<unknown>('offline');
  const outputDir = config.get<unknown>('outputDir');
  return {
    offline: typeof offline === 'boolean' ? offline : DEFAULTS.offline,
    hubTimeout: nonNegative(config.get<unknown>('hubTimeout'), DEFAULTS.hubTimeout),
    debounceMs: nonNegative(config.get<unknown>('debounceMs'), DEFAULTS.debounceMs),
    outputDir: typeof outputDir === 'string' ? outputDir.trim() : DEFAULTS.outputDir,
  };
}

export const SERVER_PATH_SETTING = `${SECTION}.server.path`;

/** Settings whose change needs the server to be found and started again. */
export const RESTART_SETTINGS: readonly string[] = [SERVER_PATH_SETTING];

/** The settings scope a value of vllmWizard.server.path is read from, and how to open it. */
export interface SettingsScope {
  /** As the Settings editor names it, e.g. "Remote settings (ssh-remote)". */
  name: string;
  /** The command that opens that scope's settings (argument: `{ query }`). */
  command: string;
}

/** What `WorkspaceConfiguration.inspect` tells about a value; only where it was set matters. */
export interface InspectedValue {
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * Where vllmWizard.server.path is (or should be) set. Its scope is machine-overridable: a path is
 * only meaningful on the machine the server runs on, so in a remote window (Remote-SSH, WSL, dev
 * containers; `vscode.env.remoteName`) VS Code reads it from the Remote settings of that machine
 * and ignores the User settings of this computer. Workspace and folder settings override both.
 * (code-server 4.100.3, whose `env.remoteName` is the host:port it is served from, also applies its
 * User settings file, which lives on the server; but its Settings editor shows the setting only
 * under Remote, where a value overrides the User one: Remote is the place to change it there too.)
 */
export function serverPathScope(inspected: InspectedValue | undefined, remoteName: string | undefined): SettingsScope {
  if (inspected?.workspaceFolderValue !== undefined) {
    return { name: 'Folder settings', command: 'workbench.action.openFolderSettings' };
  }
  if (inspected?.workspaceValue !== undefined) {
    return { name: 'Workspace settings', command: 'workbench.action.openWorkspaceSettings' };
  }
  if (remoteName !== undefined && remoteName !== '') {
    return { name: `Remote settings (${remoteName})`, command: 'workbench.action.openRemoteSettings' };
  }
  return { name: 'User settings', command: 'workbench.action.openSettings' };
}

/** The sentence that says where to set vllmWizard.server.path in this window. */
export function whereToSetServerPath(remoteName: string | undefined): string {
  const scope = serverPathScope(undefined, remoteName);
  if (scope.command === 'workbench.action.openRemoteSettings') {
    return (
      `set ${SERVER_PATH_SETTING} in the ${scope.name}: in a remote window the User settings of ` +
      'this computer do not apply to it'
    );
  }
  return `set ${SERVER_PATH_SETTING} in your ${scope.name}`;
}
