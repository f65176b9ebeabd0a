// The VS Code client for the vllm-wizard language server. The server does the work (diagnostics,
// hover, completion, code actions, lenses, and the commands `vllm-wizard.generate` and
// `vllm-wizard.showPlan`, which the language client registers by itself); this file finds the
// server, starts it, and adds the status bar item and a few palette commands.

import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { discoverServer, INSTALL_COMMAND, type FoundServer } from './discovery';
import { showUnsavedPlan } from './plan';
import { onDidChangeInterpreter, selectedInterpreter } from './python';
import { loginShellPath, processRunner } from './runner';
import {
  initializationOptions,
  RESTART_SETTINGS,
  SECTION,
  SERVER_PATH_SETTING,
  serverPathScope,
  whereToSetServerPath,
  type SettingsScope,
} from './settings';
import { VERDICT_NOTIFICATION, VerdictStore } from './verdicts';

const CLIENT_ID = 'vllmWizard';
const CLIENT_NAME = 'vLLM Wizard';

/** Commands the server provides (workspace/executeCommand); the language client registers them. */
export const SERVER_COMMANDS = {
  generate: 'vllm-wizard.generate',
  showPlan: 'vllm-wizard.showPlan',
} as const;

/** Commands this extension registers. */
export const CLIENT_COMMANDS = {
  restartServer: 'vllmWizard.restartServer',
  showOutput: 'vllmWizard.showOutput',
  generateForActiveFile: 'vllmWizard.generateForActiveFile',
  showPlanForActiveFile: 'vllmWizard.showPlanForActiveFile',
} as const;

const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'untitled', language: 'yaml' },
];

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Opens `content` in a new untitled editor (not a preview: it must not vanish on the next click). */
async function openUntitled(content: string, language: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ content, language });
  await vscode.window.showTextDocument(document, { preview: false });
}

/** Opens the settings of `scope` at vllmWizard.server.path. */
async function openSettings(scope: SettingsScope): Promise<void> {
  // The object form: openRemoteSettings (and the workspace/folder ones) drop a bare string query.
  await vscode.commands.executeCommand(scope.command, { query: SERVER_PATH_SETTING });
}

class WizardClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private server: FoundServer | undefined;
  private queue: Promise<void> = Promise.resolve();
  private interpreterWatch: vscode.Disposable | undefined;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly status: vscode.StatusBarItem;
  private readonly verdicts: VerdictStore;

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.verdicts = new VerdictStore({
      isOpen: (uri) => vscode.workspace.textDocuments.some((doc) => doc.uri.toString() === uri),
      normalize: (uri) => {
        try {
          return vscode.Uri.parse(uri, true).toString();
        } catch {
          return uri;
        }
      },
    });
    this.status = vscode.window.createStatusBarItem('vllmWizard.verdict', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'vLLM Wizard verdict';
    this.status.command = CLIENT_COMMANDS.showPlanForActiveFile;
    this.disposables.push(
      this.status,
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.verdicts.forget(doc.uri.toString());
        this.updateStatus();
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (RESTART_SETTINGS.some((setting) => event.affectsConfiguration(setting))) {
          this.output.info('vllmWizard.server.path changed; restarting the server.');
          void this.restart();
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.output.info('The workspace is now trusted; restarting the server.');
        void this.restart();
      }),
    );
  }

  /** Finds and starts the server again; calls are serialised. */
  restart(): Promise<void> {
    this.queue = this.queue.then(
      () => this.doRestart(),
      () => this.doRestart(),
    );
    return this.queue;
  }

  private async doRestart(): Promise<void> {
    try {
      await this.stopClient();
      if (!this.disposed) {
        await this.startClient();
      }
    } catch (err) {
      this.output.error(`Starting the language server: ${message(err)}`);
      void vscode.window.showErrorMessage(`vLLM Wizard: could not start the language server: ${message(err)}`, 'Show Output').then(
        (choice) => {
          if (choice === 'Show Output') {
            this.output.show(true);
          }
        },
      );
    }
  }

  private resource(): vscode.Uri | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active !== undefined && active.scheme === 'file') {
      return active;
    }
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  private workingDirectory(resource: vscode.Uri | undefined): string | undefined {
    const folder =
      (resource !== undefined ? vscode.workspace.getWorkspaceFolder(resource) : undefined) ??
      vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
  }

  private async startClient(): Promise<void> {
    const log = (line: string) => this.output.info(line);
    const resource = this.resource();
    const cwd = this.workingDirectory(resource);
    const trusted = vscode.workspace.isTrusted;
    log(`Looking for the vLLM Wizard language server${trusted ? '' : ' (restricted mode: untrusted workspace)'}.`);

    const configuration = vscode.workspace.getConfiguration(SECTION, resource);
    const serverPath = configuration.get<string>('server.path', '');
    const remote = vscode.env.remoteName;
    const scope = serverPathScope(configuration.inspect('server.path'), remote);
    const pythonCommand = await selectedInterpreter(resource, log);
    this.watchInterpreter();
    const run = processRunner(cwd);
    const found = await discoverServer(
      {
        serverPath,
        trusted,
        pythonCommand,
        home: os.homedir(),
        workspaceFolder: cwd,
        path: process.env.PATH,
        python3: process.platform === 'win32' ? 'python' : 'python3',
        loginShellPath: () => loginShellPath(run),
      },
      run,
      log,
    );
    if (this.disposed) {
      return;
    }
    this.server = found.server;
    if (found.server === undefined) {
      void this.reportNotFound(scope, remote);
      return;
    }

    const failedSetting = found.attempts.find((attempt) => attempt.candidate.source === 'setting' && !attempt.ok);
    if (failedSetting !== undefined) {
      const open = `Open ${scope.name}`;
      void vscode.window
        .showWarningMessage(
          `vLLM Wizard: ${failedSetting.candidate.label} did not run (${failedSetting.detail}); ` +
            `using ${found.server.label} instead. Change it in the ${scope.name}.`,
          open,
        )
        .then((choice) => {
          if (choice === open) {
            void openSettings(scope);
          }
        });
    }

    const serverOptions: ServerOptions = {
      command: found.server.command,
      args: found.server.args,
      // The login shell's PATH when the server was found there (also for what the server starts).
      options: { cwd, env: { ...process.env, ...found.server.env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // A function, so that a restart after a crash sends the settings of that moment.
      initializationOptions: () => initializationOptions(vscode.workspace.getConfiguration(SECTION)),
      synchronize: { configurationSection: SECTION },
      middleware: {
        // Every run of the server's showPlan (code lens, code action, palette, status bar) passes
        // here: a plan the server returned without saving ("Show without saving") is shown.
        executeCommand: async (command, args, next) => {
          const result = await next(command, args);
          if (command === SERVER_COMMANDS.showPlan) {
            try {
              await showUnsavedPlan(result, openUntitled);
            } catch (err) {
              this.output.error(`Showing the unsaved plan: ${message(err)}`);
            }
          }
          return result;
        },
        workspace: {
          // Answer workspace/configuration for our section in the same shape as initializationOptions.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers;
            }
            return params.items.map((item, index) => {
              if (item.section !== SECTION) {
                return answers[index];
              }
              const scope = item.scopeUri !== undefined ? vscode.Uri.parse(item.scopeUri) : undefined;
              return initializationOptions(vscode.workspace.getConfiguration(SECTION, scope));
            });
          },
        },
      },
    };

    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.onNotification(VERDICT_NOTIFICATION, (params: unknown) => {
      if (!this.verdicts.update(params)) {
        this.output.debug(`Ignored ${VERDICT_NOTIFICATION} ${JSON.stringify(params)}`);
      }
      this.updateStatus();
    });
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped) {
        this.verdicts.clear();
        this.updateStatus();
      }
    });
    this.client = client;
    try {
      await client.start();
      log(`Started ${found.server.version} (${found.server.label}).`);
    } catch (err) {
      this.output.error(`The language server failed to start: ${message(err)}`);
      void vscode.window
        .showErrorMessage(
          `vLLM Wizard: the language server (${found.server.label}) failed to start: ${message(err)}`,
          'Show Output',
          'Restart Server',
        )
        .then((choice) => {
          if (choice === 'Show Output') {
            this.output.show(true);
          } else if (choice === 'Restart Server') {
            void this.restart();
          }
        });
    }
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.verdicts.clear();
    this.updateStatus();
    if (client === undefined) {
      return;
    }
    try {
      // dispose() also unregisters the server's commands, so a new client can register them again.
      await client.dispose(2000);
    } catch (err) {
      this.output.warn(`Stopping the language server: ${message(err)}`);
    }
  }

  private watchInterpreter(): void {
    if (this.interpreterWatch !== undefined) {
      return;
    }
    const watch = onDidChangeInterpreter(() => {
      if (this.server?.source !== 'setting') {
        this.output.info('The selected Python interpreter changed; restarting the server.');
        void this.restart();
      }
    });
    this.interpreterWatch = watch;
    this.disposables.push(watch);
  }

  private async reportNotFound(scope: SettingsScope, remote: string | undefined): Promise<void> {
    const copy = 'Copy install command';
    const settings = `Open ${scope.name}`;
    const where = remote !== undefined ? ` on ${remote}` : '';
    const choice = await vscode.window.showErrorMessage(
      `vLLM Wizard: the language server was not found${where}. Install it with \`${INSTALL_COMMAND}\` ` +
        '(in the Python environment selected in VS Code, or anywhere on PATH), or ' +
        `${whereToSetServerPath(remote)}; then run "vLLM Wizard: Restart Server". ` +
        'The "vLLM Wizard" output lists what was tried.',
      copy,
      settings,
    );
    if (choice === copy) {
      await vscode.env.clipboard.writeText(INSTALL_COMMAND);
      void vscode.window.showInformationMessage(`Copied "${INSTALL_COMMAND}" to the clipboard.`);
    } else if (choice === settings) {
      await openSettings(scope);
    }
  }

  updateStatus(): void {
    const view = this.verdicts.viewFor(vscode.window.activeTextEditor?.document.uri.toString());
    if (view === undefined) {
      this.status.hide();
      return;
    }
    this.status.text = view.text;
    this.status.tooltip = view.tooltip;
    this.status.accessibilityInformation = { label: `vLLM Wizard: ${view.text.replace(/^\$\([^)]*\)\s*/, '')}` };
    this.status.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.status.show();
  }

  /** Runs one of the server's commands on the active YAML document. */
  async runOnActiveFile(command: string, what: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || editor.document.languageId !== 'yaml') {
      void vscode.window.showWarningMessage(`vLLM Wizard: open a profile.yaml in the editor to ${what}.`);
      return;
    }
    if (this.client === undefined || !this.client.isRunning()) {
      const choice = await vscode.window.showErrorMessage(
        'vLLM Wizard: the language server is not running.',
        'Restart Server',
        'Show Output',
      );
      if (choice === 'Restart Server') {
        await this.restart();
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
      return;
    }
    try {
      await vscode.commands.executeCommand(command, editor.document.uri.toString());
    } catch (err) {
      this.output.error(`${command} failed: ${message(err)}`);
      const choice = await vscode.window.showErrorMessage(`vLLM Wizard: could not ${what}: ${message(err)}`, 'Show Output');
      if (choice === 'Show Output') {
        this.output.show(true);
      }
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.queue.catch(() => undefined);
    await this.stopClient();
    for (const disposable of this.disposables.splice(0)) {
      disposable.dispose();
    }
  }
}

let wizard: WizardClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const current = new WizardClient(output);
  wizard = current;
  context.subscriptions.push(
    // The client itself is stopped in deactivate(), which VS Code awaits before disposing these.
    output,
    vscode.commands.registerCommand(CLIENT_COMMANDS.restartServer, () => current.restart()),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.generateForActiveFile, () =>
      current.runOnActiveFile(SERVER_COMMANDS.generate, 'generate deployment files'),
    ),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showPlanForActiveFile, () =>
      current.runOnActiveFile(SERVER_COMMANDS.showPlan, 'show the plan'),
    ),
  );
  // Do not hold up activation on the version checks; the status bar appears with the first verdict.
  void current.restart();
}

export async function deactivate(): Promise<void> {
  const current = wizard;
  wizard = undefined;
  await current?.dispose();
}
