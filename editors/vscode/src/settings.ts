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
  debounceMs: 30,
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

/** Settings whose change needs the server to be found and started again. */
export const RESTART_SETTINGS: readonly string[] = [`${SECTION}.server.path`];
