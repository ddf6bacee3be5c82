// The surprisal lens after an edit: only the edited lines (and a small margin) are scored again; the rest keep their scores.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { closeAllEditors, openDocument, repoRoot, useModel } from './clozeExtension';

interface LensApi {
  onSurprisal: vscode.Event<{ uri: string; tokens: number; ms: number }>;
}

/** Resolves with the lens's next recomputation of `uri`. */
function nextUpdate(api: LensApi, uri: string, timeoutMs = 120_000): Promise<{ tokens: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error('the surprisal lens did not update')); }, timeoutMs);
    const sub = api.onSurprisal((e) => {
      if (e.uri !== uri) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

async function hoverText(uri: vscode.Uri, at: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, at);
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

describe('Cloze surprisal lens', () => {
  before(async () => { await useModel(path.join(repoRoot, 'models', 'default')); });
  afterEach(async () => {
    await closeAllEditors();
  });

  it('an edit rescores only the lines around it, and the other tokens keep their hover', async () => {
    const lines = Array.from({ length: 24 }, (_, i) => `total_${i} = compute(values[${i}], offset=${i})`);
    const ed = await openDocument(lines.join('\n') + '\n', 'python');
    const uri = ed.document.uri.toString();
    const api = (vscode.extensions.getExtension('cloze.cloze')!.exports) as LensApi;
    const first = nextUpdate(api, uri);
    await vscode.commands.executeCommand('cloze.toggleSurprisal');
    try {
      const full = await first;
      const visibleLines = ed.visibleRanges.reduce((n, r) => n + r.end.line - r.start.line + 1, 0);
      assert.ok(full.tokens > 8 * Math.min(visibleLines, 24) * 0.5, `the first pass scored the visible lines (${full.tokens} tokens over ${visibleLines} lines)`);
      const line1 = new vscode.Position(1, ed.document.lineAt(1).text.indexOf('compute') + 2);
      assert.match(await hoverText(ed.document.uri, line1), /Cloze surprisal/, 'a token has its hover before the edit');

      const after = nextUpdate(api, uri);
      await ed.edit((e) => e.insert(new vscode.Position(12, ed.document.lineAt(12).text.length), ' + 1'));
      const partial = await after;
      // Line 12 and two lines each side: five lines of ~18 tokens, far fewer than the whole visible text.
      assert.ok(partial.tokens > 0 && partial.tokens < full.tokens / 2, `after the edit ${partial.tokens} tokens were rescored (first pass ${full.tokens})`);
      assert.match(await hoverText(ed.document.uri, line1), /Cloze surprisal/, 'a token far from the edit keeps its score');
      const edited = new vscode.Position(12, ed.document.lineAt(12).text.length - 1);
      assert.match(await hoverText(ed.document.uri, edited), /Cloze surprisal/, 'the edited line was scored again');
    } finally {
      await vscode.commands.executeCommand('cloze.toggleSurprisal');
    }
  });
});
