// Access to the Cloze extension under test from inside the extension host: its API, model selection, documents.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { e2eTempDir } from '../tempDirs';
import { fixturesDir, repoRoot } from '../../paths';
import { percentIn } from '../percent';

/** What `activate` returns (the extension's public contract). */
export interface ClozeApi {
  ready(): Promise<void>;
  status(): Promise<{ model: string; modelDir: string; device: string; lastLatencyMs?: number }>;
}

export { fixturesDir, repoRoot };
export const bertDir = path.join(fixturesDir, 'bert-tiny-wordpiece');

export async function clozeApi(): Promise<ClozeApi> {
  const ext = vscode.extensions.getExtension<ClozeApi>('cloze.cloze');
  assert.ok(ext, 'extension cloze.cloze is not loaded');
  const api = await ext.activate();
  assert.ok(api && typeof api.ready === 'function' && typeof api.status === 'function', 'activate() did not return the Cloze API');
  return api;
}

/** Points `cloze.model` at `dir` (user settings, as a user would) and waits for the service to load it. */
export async function useModel(dir: string): Promise<ClozeApi> {
  const api = await clozeApi();
  await vscode.workspace.getConfiguration('cloze').update('model', dir, vscode.ConfigurationTarget.Global);
  await api.ready();
  return api;
}

export async function openDocument(content: string, language = 'plaintext'): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ language, content });
  return vscode.window.showTextDocument(doc);
}

/** Opens a real file (a temp copy) so that size, binary and language detection behave as for a user's file. */
export async function openFile(name: string, content: string | Buffer): Promise<vscode.TextEditor> {
  const dir = e2eTempDir('doc');
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  return vscode.window.showTextDocument(doc);
}

/** Position right after the n-th (0-based) occurrence of `needle` in the document. */
export function positionAfter(doc: vscode.TextDocument, needle: string, nth = 0): vscode.Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = doc.getText().indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" #${nth} not found in the document`);
  }
  return doc.positionAt(at + needle.length);
}

export function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

export async function completionsAt(doc: vscode.TextDocument, pos: vscode.Position, trigger?: string): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos, trigger);
  return list?.items ?? [];
}

export async function hoverTextAt(doc: vscode.TextDocument, pos: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
  return (hovers ?? []).flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

/** Percentage shown in a completion item's detail (e.g. "68.1%"), as a number. */
export function percentOf(item: vscode.CompletionItem): number {
  const p = percentIn(item.detail ?? '');
  assert.ok(p !== undefined, `detail of "${labelOf(item)}" shows no percentage: ${JSON.stringify(item.detail)}`);
  return p;
}

/** Closes every editor, discarding changes (a plain close would ask whether to save each untitled document). */
export async function closeAllEditors(): Promise<void> {
  const open = () => vscode.window.tabGroups.all.reduce((n, g) => n + g.tabs.length, 0);
  // One close at a time, each seen to land before the next: a close sent on a stale count (a loaded extension host)
  // would revert whatever editor the next test has just opened.
  for (let i = 0; i < 50 && open() > 0; i++) {
    const before = open();
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    for (let j = 0; j < 100 && open() >= before; j++) await new Promise((r) => setTimeout(r, 50));
    if (open() >= before) break; // not an editor this command closes (a view in another group): leave the rest below
  }
  if (open() > 0) await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
