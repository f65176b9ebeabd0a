// The per-document verdicts the server sends in `vllmWizard/verdict`, and what the status bar
// shows for them. Pure: document state is injected, so this runs without VS Code.

export const VERDICT_NOTIFICATION = 'vllmWizard/verdict';

export interface Verdict {
  uri: string;
  /** The plan fits with the configured headroom. */
  fits: boolean;
  /** vLLM would start (the weights and a minimal KV cache fit). */
  starts: boolean;
  /** One line for the tooltip. */
  summary: string;
}

export type Severity = 'ok' | 'warning' | 'error';

export interface StatusView {
  text: string;
  tooltip: string;
  severity: Severity;
}

/** The params of a `vllmWizard/verdict` notification, or undefined when they have the wrong shape. */
export function parseVerdict(params: unknown): Verdict | undefined {
  if (typeof params !== 'object' || params === null) {
    return undefined;
  }
  const { uri, fits, starts, summary } = params as Record<string, unknown>;
  if (typeof uri !== 'string' || uri === '' || typeof fits !== 'boolean' || typeof starts !== 'boolean') {
    return undefined;
  }
  return { uri, fits, starts, summary: typeof summary === 'string' ? summary : '' };
}

export function statusView(verdict: Verdict): StatusView {
  const tooltip = verdict.summary;
  if (!verdict.starts) {
    return { text: "$(error) won't start", tooltip, severity: 'error' };
  }
  if (!verdict.fits) {
    return { text: '$(warning) tight', tooltip, severity: 'warning' };
  }
  return { text: '$(check) fits', tooltip, severity: 'ok' };
}

export interface VerdictStoreOptions {
  /** Whether a document (by normalised URI) is open; verdicts for other documents are dropped. */
  isOpen: (uri: string) => boolean;
  /** Brings a server-sent URI to the editor's spelling (e.g. vscode.Uri.parse(u).toString()). */
  normalize?: (uri: string) => string;
}

export class VerdictStore {
  private readonly verdicts = new Map<string, Verdict>();
  private readonly isOpen: (uri: string) => boolean;
  private readonly normalize: (uri: string) => string;

  constructor(options: VerdictStoreOptions) {
    this.isOpen = options.isOpen;
    this.normalize = options.normalize ?? ((uri) => uri);
  }

  /** Records a notification's params; returns whether anything was stored. */
  update(params: unknown): boolean {
    const verdict = parseVerdict(params);
    if (verdict === undefined) {
      return false;
    }
    const uri = this.normalize(verdict.uri);
    if (!this.isOpen(uri)) {
      this.verdicts.delete(uri);
      return false;
    }
    this.verdicts.set(uri, { ...verdict, uri });
    return true;
  }

  get(uri: string): Verdict | undefined {
    return this.verdicts.get(this.normalize(uri));
  }

  /** Forgets a document's verdict (the document was closed). */
  forget(uri: string): void {
    this.verdicts.delete(this.normalize(uri));
  }

  /** Forgets everything (the server stopped or restarted). */
  clear(): void {
    this.verdicts.clear();
  }

  get size(): number {
    return this.verdicts.size;
  }

  /** What the status bar shows for the active document; undefined hides it. */
  viewFor(activeUri: string | undefined): StatusView | undefined {
    if (activeUri === undefined) {
      return undefined;
    }
    const verdict = this.get(activeUri);
    return verdict === undefined ? undefined : statusView(verdict);
  }
}
