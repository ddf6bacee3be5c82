// "Cloze: Show Surprisal": colours each visible token by how unexpected the model finds it (GLTR's bands: the real
// token is the model's top-1, in its top 10, top 100, or beyond), with a hover giving the bits and what it expected.
import * as vscode from 'vscode';
import { mdCode } from '../core/markdown';
import { percent } from '../format';
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

export class SurprisalLens implements vscode.Disposable {
  private on = false;
  private readonly types = BANDS.map((b) => vscode.window.createTextEditorDecorationType({ backgroundColor: b.color, borderRadius: '2px' }));
  private readonly results = new Map<string, { version: number; tokens: readonly SurprisalToken[] }>();
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
      vscode.workspace.onDidChangeTextDocument((e) => e.document === vscode.window.activeTextEditor?.document && this.schedule(500)),
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
    }
  }

  private schedule(ms: number): void {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  /** Recomputes the active editor's visible lines (an edit or a scroll supersedes the request in flight). */
  async refresh(): Promise<void> {
    const ed = vscode.window.activeTextEditor;
    if (!this.on || !ed || !isEnabledFor(ed.document)) return;
    this.pending?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.pending = cts;
    const visible = ed.visibleRanges.reduce((a, b) => a.union(b), ed.visibleRanges[0] ?? new vscode.Range(0, 0, 0, 0));
    const range = ed.document.validateRange(new vscode.Range(visible.start.line, 0, visible.end.line + 1, 0));
    const version = ed.document.version;
    let r: SurprisalResult | null;
    try {
      r = await this.service.surprisal({ uri: ed.document.uri.toString(), range: { start: range.start, end: range.end } }, cts.token);
    } catch (e) {
      this.log.warn(`Surprisal failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!r || cts.token.isCancellationRequested || !this.on || ed.document.version !== version) return;
    this.results.set(ed.document.uri.toString(), { version, tokens: r.tokens });
    const byBand: vscode.Range[][] = BANDS.map(() => []);
    for (const t of r.tokens) byBand[bandOf(t.rank)].push(new vscode.Range(t.range.start.line, t.range.start.character, t.range.end.line, t.range.end.character));
    this.types.forEach((type, i) => ed.setDecorations(type, byBand[i]));
    this.log.info(`Surprisal of ${r.tokens.length} tokens in ${r.ms} ms (${r.model}).`);
    this.doneEmitter.fire({ uri: ed.document.uri.toString(), tokens: r.tokens.length, ms: r.ms });
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
