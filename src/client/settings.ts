// Reads the `cloze.*` settings into what the service and the providers need.
import * as vscode from 'vscode';
import type { Device } from '../core/session';
import type { ServiceSettings } from '../server/protocol';

export function serviceSettings(extensionPath: string, trainedModel?: string): ServiceSettings {
  const c = vscode.workspace.getConfiguration('cloze');
  return {
    model: resolveUserPath(c.get<string>('model', '')),
    trainedModel,
    bundledModel: vscode.Uri.joinPath(vscode.Uri.file(extensionPath), 'models', 'default').fsPath,
    devices: c.get<Device[]>('device', ['cuda', 'dml', 'coreml', 'cpu']),
    topK: c.get<number>('topK', 8),
    contextTokens: c.get<number>('contextTokens', 256),
    maxFileSizeMB: c.get<number>('maxFileSizeMB', 5),
  };
}

/** `~` and `${workspaceFolder}` in a model path, as users write them in settings. */
function resolveUserPath(p: string): string {
  let out = p.trim();
  if (!out) return '';
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '';
  if (out.startsWith('~/') && home) out = home + out.slice(1);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder) out = out.replace(/\$\{workspaceFolder\}/g, folder);
  return out;
}

export function documentSelector(): { scheme: string; language?: string }[] {
  const langs = vscode.workspace.getConfiguration('cloze').get<string[]>('languages', ['*']);
  const schemes = ['file', 'untitled'];
  if (langs.includes('*')) return schemes.map((scheme) => ({ scheme }));
  return schemes.flatMap((scheme) => langs.map((language) => ({ scheme, language })));
}

export function inlineSettings(): { enabled: boolean; debounceMs: number } {
  const c = vscode.workspace.getConfiguration('cloze');
  return { enabled: c.get<boolean>('inline.enabled', true), debounceMs: c.get<number>('inline.debounceMs', 150) };
}
