// Reads the `cloze.*` settings into what the service and the providers need.
import * as vscode from 'vscode';
import type { Device, Precision, ProxySettings, ServiceSettings } from '../protocol';

/**
 * In Restricted Mode VS Code already hides the workspace's values of the restricted settings (`cloze.model`,
 * `cloze.device`, …; see capabilities in package.json); the model trained on the workspace is left out here too, so an
 * untrusted folder runs the bundled model (or the user's own setting).
 */
export function serviceSettings(extensionPath: string, trainedModel?: string): ServiceSettings {
  const c = vscode.workspace.getConfiguration('cloze');
  return {
    model: resolveUserPath(c.get<string>('model', '')),
    trainedModel: vscode.workspace.isTrusted ? trainedModel : undefined,
    bundledModel: vscode.Uri.joinPath(vscode.Uri.file(extensionPath), 'models', 'default').fsPath,
    devices: c.get<Device[]>('device', ['cuda', 'dml', 'coreml', 'cpu']),
    precision: c.get<Precision>('precision', 'auto'),
    topK: c.get<number>('topK', 8),
    maxPieces: c.get<number>('maxPieces', 2),
    contextTokens: c.get<number>('contextTokens', 256),
    maxFileSizeMB: c.get<number>('maxFileSizeMB', 5),
    proxy: proxySettings(),
  };
}

/** The editor's proxy settings, which Hub downloads in the service use (Node's fetch would not see them). */
export function proxySettings(): ProxySettings {
  const h = vscode.workspace.getConfiguration('http');
  const proxy = h.get<string>('proxy', '').trim();
  const auth = h.get<string | null>('proxyAuthorization', null);
  return {
    ...(proxy ? { proxy } : {}),
    strictSSL: h.get<boolean>('proxyStrictSSL', true),
    noProxy: h.get<string[]>('noProxy', []),
    ...(auth ? { proxyAuthorization: auth } : {}),
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

/** Where documents live that Cloze reads: on disk, new, or in a virtual workspace (fills need only the text). */
const SCHEMES = ['file', 'untitled', 'vscode-vfs', 'vscode-remote'];

export function documentSelector(): { scheme: string; language?: string }[] {
  const langs = vscode.workspace.getConfiguration('cloze').get<string[]>('languages', ['*']);
  const schemes = SCHEMES;
  if (langs.includes('*')) return schemes.map((scheme) => ({ scheme }));
  return schemes.flatMap((scheme) => langs.map((language) => ({ scheme, language })));
}

export function inlineSettings(): { enabled: boolean; debounceMs: number } {
  const c = vscode.workspace.getConfiguration('cloze');
  return { enabled: c.get<boolean>('inline.enabled', true), debounceMs: c.get<number>('inline.debounceMs', 150) };
}

/** Cloze is active in a document when its scheme and language are selected and not switched off for that language. */
export function isEnabledFor(doc: vscode.TextDocument): boolean {
  if (!SCHEMES.includes(doc.uri.scheme)) return false;
  const langs = vscode.workspace.getConfiguration('cloze').get<string[]>('languages', ['*']);
  if (!langs.includes('*') && !langs.includes(doc.languageId)) return false;
  return vscode.workspace.getConfiguration('cloze', { languageId: doc.languageId, uri: doc.uri }).get<boolean>('enabled', true);
}
