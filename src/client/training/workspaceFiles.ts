// Finds the workspace's files the way the editor's own search does: files.exclude, search.exclude, cloze.train.exclude.
import * as vscode from 'vscode';
import type { TrainFilesParams } from '../../protocol';

/** Enough for any project one would train on in minutes; the preview says when the cap was hit. */
export const MAX_FILES = 20000;

function enabledGlobs(section: string, key: string): string[] {
  const map = vscode.workspace.getConfiguration(section).get<Record<string, boolean | { when: string }>>(key) ?? {};
  // `{ when: … }` entries depend on sibling files; the trainer cannot evaluate them, so they are ignored here.
  return Object.entries(map).filter(([, v]) => v === true).map(([k]) => k);
}

export async function workspaceTrainingFiles(token?: vscode.CancellationToken): Promise<TrainFilesParams & { capped: boolean }> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const extra = vscode.workspace.getConfiguration('cloze').get<string[]>('train.exclude', []);
  const globs = [...new Set([...enabledGlobs('files', 'exclude'), ...enabledGlobs('search', 'exclude'), ...extra, '**/node_modules/**', '**/.git/**'])];
  const exclude = globs.length ? `{${globs.join(',')}}` : undefined;
  const files: string[] = [];
  for (const folder of folders) {
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*'), exclude, MAX_FILES - files.length, token);
    files.push(...found.filter((u) => u.scheme === 'file').map((u) => u.fsPath));
    if (files.length >= MAX_FILES) break;
  }
  files.sort();
  return { folders: folders.map((f) => f.uri.fsPath), files, exclude: extra, capped: files.length >= MAX_FILES };
}
