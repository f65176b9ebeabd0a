// What the server's `vllm-wizard.showPlan` returns, and what the editor does with it. The server
// writes plan.json and opens it itself (window/showDocument); when the user picks "Show without
// saving" (or the file could not be written) it returns the plan's text instead, and only the
// client can show that. Pure: the way to open an untitled document is injected, so this runs
// without VS Code.

/** Opens `content` in a new untitled editor of `language` (vscode.workspace.openTextDocument). */
export type OpenUntitled = (content: string, language: string) => PromiseLike<unknown>;

/** The plan text of a showPlan result the server did not save; undefined when it did (or none). */
export function unsavedPlan(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) {
    return undefined;
  }
  const { saved, plan } = result as Record<string, unknown>;
  return saved !== true && typeof plan === 'string' && plan !== '' ? plan : undefined;
}

/** Shows an unsaved plan in an untitled JSON editor; true when there was one to show. */
export async function showUnsavedPlan(result: unknown, openUntitled: OpenUntitled): Promise<boolean> {
  const plan = unsavedPlan(result);
  if (plan === undefined) {
    return false;
  }
  await openUntitled(plan, 'json');
  return true;
}
