// "Cloze: Show Surprisal": colours each visible token by how unexpected the model finds it (GLTR's bands: the real
// token is the model's top-1, in its top 10, top 100, or beyond), with a hover giving the bits and what it expected.
import * as vscode from 'vscode';
import { mdCode } from '../protocol/markdown';
import { percent } from '../protocol/format';
import type { SurprisalResult, SurprisalToken } from '../protocol';
import type { ServiceClient } from './service';
import { isEnabledFor } from './settings';

const BANDS = [
  { name: 'top-1', maxRank: 1, color: 'rgba(46, 160, 67, 0.22)' },
  { name: 'top-10', maxRank: 10, color: 'rgba(210, 180, 0, 0.30)' },
  { name: 'top-100', maxRank: 100, color: 'rgba(230, 120, 0, 0.35)' },
  { name: 'rest', maxRank: Infinity, color: 'rgba(220, 40, 40, 0.40)' },
] as const;

const bandOf = (rank: number) => BANDS.findIndex((b) => rank <= b.maxRank);
/** Lines around an edit that are scored again with it: a token's surprisal depends most on its near context. */
const EDIT_MARGIN_LINES = 2;

/** The lines an edit touched, in the document's new coordinates (inclusive). */
interface LineSpan {
  readonly first: number;
  readonly last: number;
}

export class SurprisalLens implements vscode.Disposable {
  private on = false;
  private readonly types = BANDS.map((b) => vscode.window.createTextEditorDecorationType({ backgroundColor: b.color, borderRadius: '2px' }));
  private readonly results = new Map<string, { version: number; tokens: readonly SurprisalToken[] }>();
  /** Per document: lines edited since its tokens were scored; only these are recomputed on the next edit refresh. */
  private readonly dirty = new Map<string, LineSpan>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: vscode.CancellationTokenSource | undefined;
  private readonly doneEmitter = new vscode.EventEmitter<{ uri: string; tokens: number; ms: number }>();
  /** Fires when an editor's decorations were recomputed (tests wait on it). */
  readonly onDidUpdate = this.doneEmitter.event;

  constructor(private readonly service: ServiceClient, private readonly log: vscode.LogOutputChannel) {
    this.subscriptions.push(
      vscode.languages.registerHoverProvider({ scheme: '*' }, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => e.textEditor === vscode.window.activeTextEditor && this.schedule(250)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.on || e.contentChanges.length === 0) return;
        this.shiftForEdit(e);
        if (e.document === vscode.window.activeTextEditor?.document) this.schedule(500, true);
      }),
    );
  }

  get enabled(): boolean {
    return this.on;
  }

  async toggle(): Promise<void> {
    this.on = !this.on;
    void vscode.commands.executeCommand('setContext', 'cloze.surprisal', this.on);
    if (this.on) {
      void vscode.window.setStatusBarMessage('Cloze surprisal: green = the model\'s first guess, yellow = top 10, orange = top 100, red = beyond', 6000);
      await this.refresh();
    } else {
      this.pending?.cancel();
      for (const ed of vscode.window.visibleTextEditors) this.types.forEach((t) => ed.setDecorations(t, []));
      this.results.clear();
      this.dirty.clear();
    }
  }

  private schedule(ms: number, editOnly = false): void {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(editOnly), ms);
  }

  /**
   * Keeps the scored tokens of an edited document in step with it: tokens on the edited lines are dropped, those
   * below move with the line count, and the edited lines (plus a margin) are marked for the next refresh.
   */
  private shiftForEdit(e: vscode.TextDocumentChangeEvent): void {
    const uri = e.document.uri.toString();
    const res = this.results.get(uri);
    if (!res) return;
    let tokens = res.tokens;
    let span = this.dirty.get(uri);
    // Changes apply in order, each to the text the previous one left (the LSP's convention, which VS Code follows).
    for (const c of e.contentChanges) {
      const added = c.text.split('\n').length - 1;
      const delta = added - (c.range.end.line - c.range.start.line);
      const first = c.range.start.line;
      const lastOld = c.range.end.line;
      tokens = tokens
        .filter((t) => t.range.end.line < first || t.range.start.line > lastOld)
        .map((t) => (t.range.start.line > lastOld ? { ...t, range: { start: { line: t.range.start.line + delta, character: t.range.start.character }, end: { line: t.range.end.line + delta, character: t.range.end.character } } } : t));
      const shifted = span && (span.first > lastOld ? { first: span.first + delta, last: span.last + delta } : span.last > lastOld ? { first: span.first, last: span.last + delta } : span);
      const touched = { first: Math.max(0, first - EDIT_MARGIN_LINES), last: first + added + EDIT_MARGIN_LINES };
      span = shifted ? { first: Math.min(shifted.first, touched.first), last: Math.max(shifted.last, touched.last) } : touched;
    }
    // Tokens in the margin are scored again too, so they are replaced, not kept twice.
    const margin = span!;
    this.results.set(uri, { version: e.document.version, tokens: tokens.filter((t) => t.range.end.line < margin.first || t.range.start.line > margin.last) });
    this.dirty.set(uri, margin);
    const ed = vscode.window.visibleTextEditors.find((x) => x.document === e.document);
    if (ed) this.paint(ed, this.results.get(uri)!.tokens);
  }

  private paint(ed: vscode.TextEditor, tokens: readonly SurprisalToken[]): void {
    const byBand: vscode.Range[][] = BANDS.map(() => []);
    for (const t of tokens) byBand[bandOf(t.rank)].push(new vscode.Range(t.range.start.line, t.range.start.character, t.range.end.line, t.range.end.character));
    this.types.forEach((type, i) => ed.setDecorations(type, byBand[i]));
  }

  /**
   * Scores the active editor's visible lines (a scroll, a new editor), or after an edit only the edited lines
   * that are visible, keeping the rest; an edit or a scroll supersedes the request in flight.
   */
  async refresh(editOnly = false): Promise<void> {
    const ed = vscode.window.activeTextEditor;
    if (!this.on || !ed || !isEnabledFor(ed.document)) return;
    this.pending?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.pending = cts;
    const uri = ed.document.uri.toString();
    const visible = ed.visibleRanges.reduce((a, b) => a.union(b), ed.visibleRanges[0] ?? new vscode.Range(0, 0, 0, 0));
    const cached = this.results.get(uri);
    const span = this.dirty.get(uri);
    const partial = editOnly && span !== undefined && cached?.version === ed.document.version;
    const first = partial ? Math.max(span.first, visible.start.line) : visible.start.line;
    const last = partial ? Math.min(span.last, visible.end.line) : visible.end.line;
    if (partial && first > last) return; // the edit is out of sight; scrolling to it scores it
    const range = ed.document.validateRange(new vscode.Range(first, 0, last + 1, 0));
    const version = ed.document.version;
    let r: SurprisalResult | null;
    try {
      r = await this.service.surprisal({ uri: ed.document.uri.toString(), range: { start: range.start, end: range.end } }, cts.token);
    } catch (e) {
      this.log.warn(`Surprisal failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!r || cts.token.isCancellationRequested || !this.on || ed.document.version !== version) return;
    // A partial refresh replaces the tokens of its lines and keeps the others; a full one replaces everything.
    const kept = partial ? (this.results.get(uri)?.tokens ?? []).filter((t) => t.range.end.line < first || t.range.start.line > last) : [];
    const tokens = [...kept, ...r.tokens];
    this.results.set(uri, { version, tokens });
    if (!partial || (first <= span.first && last >= span.last)) this.dirty.delete(uri);
    this.paint(ed, tokens);
    this.log.info(`Surprisal of ${r.tokens.length} tokens in ${r.ms} ms (${r.model}${partial ? `, lines ${first + 1}–${last + 1} after an edit` : ''}).`);
    this.doneEmitter.fire({ uri, tokens: r.tokens.length, ms: r.ms });
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!this.on) return undefined;
    const res = this.results.get(doc.uri.toString());
    if (!res || res.version !== doc.version) return undefined;
    const t = res.tokens.find((x) => new vscode.Range(x.range.start.line, x.range.start.character, x.range.end.line, x.range.end.character).contains(pos));
    if (!t) return undefined;
    const range = new vscode.Range(t.range.start.line, t.range.start.character, t.range.end.line, t.range.end.character);
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**Cloze surprisal** — ${mdCode(doc.getText(range))}: **${t.bits.toFixed(1)} bits** (rank ${t.rank}, ${BANDS[bandOf(t.rank)].name})\n\n`);
    md.appendMarkdown(`The model expected: ${t.top.map((c) => `${mdCode(c.text)} ${percent(c.score)}`).join(' · ')}`);
    return new vscode.Hover(md, range);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pending?.cancel();
    this.types.forEach((t) => t.dispose());
    this.subscriptions.forEach((s) => s.dispose());
    this.doneEmitter.dispose();
  }
}
