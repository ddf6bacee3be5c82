// Starts the language-model service when a document where Cloze is active first holds a mask (or a command needs it),
// not at window start-up: a window that never sees a mask never spawns the service or loads a model.
import * as vscode from 'vscode';
import type { ServiceClient } from './service';
import { isEnabledFor } from './settings';

const MASK_TOKEN_KEY = 'cloze.lastMaskToken';
/** Lines looked at around one edit; a larger paste is checked through its inserted text instead. */
const MAX_LINES = 64;

export class LazyStart implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly service: ServiceClient,
    private readonly memento: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      service.onStatus((s) => {
        if (s.maskToken && s.maskToken !== this.memento.get(MASK_TOKEN_KEY)) void this.memento.update(MASK_TOKEN_KEY, s.maskToken);
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => this.checkDocument(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.checkEdit(e)),
      vscode.window.onDidChangeActiveTextEditor((ed) => ed && this.checkDocument(ed.document)),
    );
    for (const doc of vscode.workspace.textDocuments) this.checkDocument(doc);
  }

  /** `[MASK]` always; the model's own mask as last seen (the bundled model's `<mask>` before any model has loaded). */
  private masks(): string[] {
    return ['[MASK]', this.service.status?.maskToken ?? this.memento.get<string>(MASK_TOKEN_KEY) ?? '<mask>'];
  }

  private checkDocument(doc: vscode.TextDocument): void {
    if (this.service.started || !isEnabledFor(doc)) return;
    const text = doc.getText();
    if (this.masks().some((m) => text.includes(m))) this.start(`${vscode.workspace.asRelativePath(doc.uri)} holds a mask`);
  }

  private checkEdit(e: vscode.TextDocumentChangeEvent): void {
    if (this.service.started || !e.contentChanges.length || !isEnabledFor(e.document)) return;
    const masks = this.masks();
    const doc = e.document;
    const found = e.contentChanges.some((c) => {
      if (masks.some((m) => c.text.includes(m))) return true;
      const first = c.range.start.line;
      const last = Math.min(doc.lineCount - 1, first + Math.min(MAX_LINES, c.text.split('\n').length - 1));
      for (let l = first; l <= last; l++) if (masks.some((m) => doc.lineAt(l).text.includes(m))) return true;
      return false;
    });
    if (!found) return;
    const typedHere = vscode.window.activeTextEditor?.document === doc;
    this.start(`a mask was typed in ${vscode.workspace.asRelativePath(doc.uri)}`, typedHere ? doc : undefined);
  }

  private start(why: string, typedIn?: vscode.TextDocument): void {
    if (this.service.started) return;
    this.log.info(`Starting the language-model service: ${why}.`);
    void this.service.ready().then(() => {
      // The keystroke that completed the mask found no completion provider yet; open the list it would have opened.
      const ed = vscode.window.activeTextEditor;
      if (!typedIn || ed?.document !== typedIn || !ed.selection.isEmpty) return;
      const before = ed.document.lineAt(ed.selection.active.line).text.slice(0, ed.selection.active.character);
      if (this.masks().some((m) => before.endsWith(m))) void vscode.commands.executeCommand('editor.action.triggerSuggest');
    });
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}
