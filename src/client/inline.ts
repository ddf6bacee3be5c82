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
    // Three words (and, with another mask on the line, the joint fill's beam of 3 pairs): all of them are offered.
    const r = await this.service.fill({ uri: doc.uri.toString(), position: { line: pos.line, character: pos.character }, topK: SHOWN, joint: true, ghost: true }, token);
    if (!r || token.isCancellationRequested || !r.candidates.length) return undefined;
    const asRange = (x: { start: { line: number; character: number }; end: { line: number; character: number } }) => new vscode.Range(x.start.line, x.start.character, x.end.line, x.end.character);
    const maskRange = asRange(r.range);
    if (!maskRange.end.isEqual(pos)) return undefined;
    // With other masks nearby, the consistent combinations come first: the ghost text is this mask's word, and
    // accepting it also fills the other masks of the combination.
    const ranges = r.jointRanges?.map(asRange) ?? [];
    const here = ranges.findIndex((x) => x.isEqual(maskRange));
    const joint = here < 0 ? [] : (r.joint ?? []).map((j) => {
      const others: OtherFill[] = ranges.flatMap((x, m) => (m === here ? [] : [{ range: x, insert: j.inserts[m] }]));
      const item = new vscode.InlineCompletionItem(j.texts[here], new vscode.Range(pos, pos));
      item.command = { command: ACCEPT_INLINE, title: 'Fill the masks', arguments: [doc.uri, maskRange, j.texts[here], j.inserts[here], false, others] };
      return item;
    });
    const single = r.candidates.map((c) => {
      const item = new vscode.InlineCompletionItem(c.text, new vscode.Range(pos, pos));
      item.command = { command: ACCEPT_INLINE, title: 'Replace the mask', arguments: [doc.uri, maskRange, c.text, c.insert, c.joinLeft] };
      return item;
    });
    // Everything asked for is offered (the pairs, then the words): nothing is computed that the ghost text cannot show.
    return [...joint, ...single];
  }
}

/** Words asked for per mask (and the joint fill's beam): what Alt+] cycles through. */
const SHOWN = 3;

/** Another mask that a joint fill replaces too. */
export interface OtherFill {
  readonly range: vscode.Range;
  readonly insert: string;
}

/**
 * After Tab inserted the fill behind the mask, remove the mask (and the space before it when the fill continues the
 * previous word), so the result is the same edit the completion list makes.
 */
export async function acceptInline(uri: vscode.Uri, mask: vscode.Range, text: string, insert: string, joinLeft: boolean, others: readonly OtherFill[] = []): Promise<void> {
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
  for (const o of others) {
    // Masks after this one on its line moved right by the text Tab inserted.
    const shift = (p: vscode.Position) => (p.line === mask.end.line && p.character >= mask.end.character ? p.translate(0, text.length) : p);
    const range = new vscode.Range(shift(o.range.start), shift(o.range.end));
    if (/^(\[MASK\]|<mask>)$/.test(doc.getText(range)) || doc.getText(range) === doc.getText(mask)) edit.replace(uri, range, o.insert);
  }
  await vscode.workspace.applyEdit(edit);
}
