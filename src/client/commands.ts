// The palette commands and the status-bar menu.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ServiceClient } from './service';

async function setModel(dir: string): Promise<void> {
  await vscode.workspace.getConfiguration('cloze').update('model', dir, vscode.ConfigurationTarget.Global);
}

export async function selectModelFolder(log: vscode.LogOutputChannel, beforeSwitch: () => Promise<void>): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use This Model',
    title: 'Cloze: choose a model folder (Hugging Face layout: config.json, tokenizer.json, model.onnx or onnx/model.onnx)',
  });
  const dir = picked?.[0]?.fsPath;
  if (!dir) return;
  const missing = ['config.json', 'tokenizer.json'].filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) {
    const msg = `Cloze: ${dir} is not a model folder (missing ${missing.join(' and ')}).`;
    log.warn(msg);
    void vscode.window.showWarningMessage(msg);
    return;
  }
  log.info(`Model folder selected: ${dir}`);
  await beforeSwitch();
  await setModel(dir);
}

export async function useDefaultModel(beforeSwitch: () => Promise<void>): Promise<void> {
  await beforeSwitch();
  await setModel('');
}

export async function toggleInline(): Promise<void> {
  const c = vscode.workspace.getConfiguration('cloze');
  const next = !c.get<boolean>('inline.enabled', true);
  await c.update('inline.enabled', next, vscode.ConfigurationTarget.Global);
  void vscode.window.setStatusBarMessage(`Cloze inline suggestions ${next ? 'on' : 'off'}`, 2500);
}

/** What the menu needs to know besides the service's status. */
export interface MenuState {
  readonly training: boolean;
  readonly trusted: boolean;
}

export async function showMenu(service: ServiceClient, state: MenuState): Promise<void> {
  const inline = vscode.workspace.getConfiguration('cloze').get<boolean>('inline.enabled', true);
  const s = service.status;
  const lang = vscode.window.activeTextEditor?.document.languageId;
  const items: (vscode.QuickPickItem & { command?: string })[] = [
    { label: '$(folder-opened) Select Model Folder…', description: s?.model ? `now: ${s.model}` : undefined, command: 'cloze.selectModelFolder' },
    { label: '$(cloud-download) Download Model…', description: 'from the Hugging Face Hub', command: 'cloze.downloadModel' },
    { label: '$(package) Use Bundled Default Model', command: 'cloze.useDefaultModel' },
    { label: `$(${inline ? 'eye-closed' : 'eye'}) ${inline ? 'Turn Off' : 'Turn On'} Inline Suggestions`, command: 'cloze.toggleInline' },
    ...(lang ? [{ label: `$(circle-slash) Turn Off for ${languageName(lang)}`, description: 'Toggle for This Language', command: 'cloze.toggleLanguage' }] : []),
    { label: 'Training', kind: vscode.QuickPickItemKind.Separator },
    ...(state.training
      ? [{ label: '$(debug-stop) Stop Training', command: 'cloze.stopTraining' }]
      : [{ label: '$(mortar-board) Train on Workspace…', description: state.trusted ? undefined : 'needs a trusted workspace', command: 'cloze.trainWorkspace' },
        { label: '$(debug-continue) Resume Training', command: 'cloze.resumeTraining' }]),
    { label: '$(graph-line) Show Training View', command: 'cloze.showTrainingView' },
    { label: '$(discard) Revert to Default Model', command: 'cloze.revertModel' },
    { label: 'Service', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(debug-restart) Restart Service', command: 'cloze.restartService' },
    { label: '$(output) Show Log', command: 'cloze.showLog' },
    { label: '$(gear) Settings', command: 'workbench.action.openSettings' },
  ];
  const title = s?.model ? `Cloze — ${s.model} on ${(s.device ?? 'cpu').toUpperCase()}` : service.started ? 'Cloze' : 'Cloze — idle (starts at the first [MASK])';
  const pick = await vscode.window.showQuickPick(items, { title });
  if (!pick?.command) return;
  if (pick.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(pick.command, '@ext:cloze.cloze');
  else await vscode.commands.executeCommand(pick.command);
}

function languageName(languageId: string): string {
  const known: Record<string, string> = { plaintext: 'Plain Text', javascript: 'JavaScript', typescript: 'TypeScript', python: 'Python', markdown: 'Markdown' };
  return known[languageId] ?? languageId;
}

/** Switches Cloze off (or back on) for the active editor's language, as a language-specific user setting. */
export async function toggleLanguage(): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) {
    void vscode.window.showInformationMessage('Cloze: open a file first — this turns Cloze on or off for the language of the active editor.');
    return;
  }
  const c = vscode.workspace.getConfiguration('cloze', { languageId: doc.languageId });
  const next = !c.get<boolean>('enabled', true);
  await c.update('enabled', next, vscode.ConfigurationTarget.Global, true);
  void vscode.window.setStatusBarMessage(`Cloze ${next ? 'on' : 'off'} for ${languageName(doc.languageId)}`, 3000);
}

/**
 * Replaces the selection (or the word at each cursor) with a mask and opens the suggestions, so "what else could go
 * here?" is one keystroke. `[MASK]` works with every model (Cloze maps it to the model's own mask).
 */
export async function maskWordOrSelection(service: ServiceClient): Promise<void> {
  const ed = vscode.window.activeTextEditor;
  if (!ed) return;
  const doc = ed.document;
  const MASK = '[MASK]';
  // Offsets in the document before the edit; two cursors in one word give one mask.
  const spans = [...new Map(ed.selections
    .map((sel) => (sel.isEmpty ? doc.getWordRangeAtPosition(sel.active) ?? sel : sel))
    .map((r) => [doc.offsetAt(r.start), { start: doc.offsetAt(r.start), end: doc.offsetAt(r.end) }] as const)).values()]
    .sort((a, b) => a.start - b.start);
  const ok = await ed.edit((b) => spans.forEach((s) => b.replace(new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)), MASK)));
  if (!ok) return;
  // Put a cursor right after each mask (each earlier replacement shifted the later ones), where the suggestions belong.
  let shift = 0;
  ed.selections = spans.map((s) => {
    const end = doc.positionAt(s.start + shift + MASK.length);
    shift += MASK.length - (s.end - s.start);
    return new vscode.Selection(end, end);
  });
  await service.ready();
  if (vscode.window.activeTextEditor === ed) await vscode.commands.executeCommand('editor.action.triggerSuggest');
}
