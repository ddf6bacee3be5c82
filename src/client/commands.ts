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

export async function showMenu(service: ServiceClient): Promise<void> {
  const inline = vscode.workspace.getConfiguration('cloze').get<boolean>('inline.enabled', true);
  const s = service.status;
  const items: (vscode.QuickPickItem & { command: string })[] = [
    { label: '$(folder-opened) Select Model Folder…', description: s?.model ? `now: ${s.model}` : undefined, command: 'cloze.selectModelFolder' },
    { label: '$(package) Use Bundled Default Model', command: 'cloze.useDefaultModel' },
    { label: `$(${inline ? 'eye-closed' : 'eye'}) ${inline ? 'Turn Off' : 'Turn On'} Inline Suggestions`, command: 'cloze.toggleInline' },
    { label: '$(debug-restart) Restart Service', command: 'cloze.restartService' },
    { label: '$(output) Show Log', command: 'cloze.showLog' },
    { label: '$(gear) Settings', command: 'workbench.action.openSettings' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: `Cloze${s?.model ? ` — ${s.model} on ${(s.device ?? 'cpu').toUpperCase()}` : ''}` });
  if (!pick) return;
  if (pick.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(pick.command, '@ext:cloze.cloze');
  else await vscode.commands.executeCommand(pick.command);
}
