// Ghost text: the best fill for the mask just typed, shown after it and swapped in for it when accepted with Tab.
import * as vscode from 'vscode';
import type { ServiceClient } from './service';
import { inlineSettings, isEnabledFor } from './settings';

export const ACCEPT_INLINE = 'cloze.acceptInline';

function sleep(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve(!token.isCancellationRequested);
    const t = setTimeout(() => {
      sub.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(t);
      sub.dispose();
      resolve(false);
    });
  });
}

export class InlineProvider implements vscode.InlineCompletionItemProvider {
  constructor(private readonly service: ServiceClient) {}

  async provideInlineCompletionItems(
    doc: vscode.TextDocument,
    pos: vscode.Position,
    ctx: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const cfg = inlineSettings();
    // While the suggest list is open it already previews the selected fill.
    if (!cfg.enabled || ctx.selectedCompletionInfo || !isEnabledFor(doc)) return undefined;
    const before = doc.lineAt(pos.line).text.slice(Math.max(0, pos.character - 32), pos.character);
    const own = this.service.status?.maskToken;
    if (!before.endsWith('[MASK]') && !(own && before.endsWith(own))) return undefined;
    if (ctx.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && !(await sleep(cfg.debounceMs, token))) return undefined;
    const r = await this.service.fill({ uri: doc.uri.toString(), position: { line: pos.line, character: pos.character }, topK: 3 }, token);
    if (!r || token.isCancellationRequested || !r.candidates.length) return undefined;
    const maskRange = new vscode.Range(r.range.start.line, r.range.start.character, r.range.end.line, r.range.end.character);
    if (!maskRange.end.isEqual(pos)) return undefined;
    return r.candidates.slice(0, 3).map((c) => {
      const item = new vscode.InlineCompletionItem(c.text, new vscode.Range(pos, pos));
      item.command = { command: ACCEPT_INLINE, title: 'Replace the mask', arguments: [doc.uri, maskRange, c.text, c.insert, c.joinLeft] };
      return item;
    });
  }
}

/**
 * After Tab inserted the fill behind the mask, remove the mask (and the space before it when the fill continues the
 * previous word), so the result is the same edit the completion list makes.
 */
export async function acceptInline(uri: vscode.Uri, mask: vscode.Range, text: string, insert: string, joinLeft: boolean): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc) return;
  const inserted = new vscode.Range(mask.end, mask.end.translate(0, text.length));
  if (doc.getText(inserted) !== text) return;
  let start = mask.start;
  if (joinLeft) {
    const line = doc.lineAt(start.line).text;
    let c = start.character;
    while (c > 0 && (line[c - 1] === ' ' || line[c - 1] === '\t')) c--;
    start = new vscode.Position(start.line, c);
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(start, inserted.end), insert);
  await vscode.workspace.applyEdit(edit);
}
