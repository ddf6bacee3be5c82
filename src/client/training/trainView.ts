// The training view: a webview (strict CSP, local scripts only) that replays and follows the current run.
import * as vscode from 'vscode';
import { cspNonce } from '../nonce';
import type { TrainEvalEvent, TrainPreview, TrainProgressEvent, TrainSummary, TrainViewMessage as ViewMessage } from '../../protocol';
import type { HistoryEntry } from './history';

export class TrainView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** Everything posted for the current run, so a view opened mid-run (or re-opened) shows the whole story. */
  private log: ViewMessage[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly history: () => HistoryEntry[],
  ) {}

  reset(title: string, preview?: TrainPreview): void {
    this.log = [];
    this.post({ type: 'reset', title, preview });
  }

  progress(e: TrainProgressEvent): void {
    this.post({ type: 'progress', e });
  }

  evaluation(e: TrainEvalEvent): void {
    this.post({ type: 'eval', e });
  }

  summary(s: TrainSummary): void {
    this.post({ type: 'summary', s });
    this.post({ type: 'history', entries: this.history() });
  }

  state(text: string): void {
    this.post({ type: 'state', text });
  }

  private post(m: ViewMessage): void {
    if (m.type !== 'history') this.log.push(m);
    void this.panel?.webview.postMessage(m);
  }

  get visible(): boolean {
    return this.panel !== undefined;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('cloze.training', 'Cloze: Training', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [media],
    });
    const nonce = cspNonce();
    const src = (f: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(media, f));
    panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${panel.webview.cspSource} data:; style-src ${panel.webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${src('trainView.css')}" rel="stylesheet"><title>Cloze: Training</title></head>
<body>
<h1 id="title">Cloze: Training</h1>
<p id="files" class="muted"></p>
<div class="stats">
  <div><span class="label">state</span><span id="state">idle</span></div>
  <div><span class="label">step</span><span id="step">–</span></div>
  <div><span class="label">loss</span><span id="lossv">–</span></div>
  <div><span class="label">speed</span><span id="speed">–</span></div>
  <div><span class="label">ETA</span><span id="eta">–</span></div>
</div>
<div class="charts">
  <div class="chart"><canvas id="loss"></canvas></div>
  <div class="chart"><canvas id="accuracy"></canvas></div>
</div>
<h2>Held-out files: before → after</h2>
<table><thead><tr><th></th><th>before</th><th>after</th><th>change</th></tr></thead><tbody id="scores"></tbody></table>
<h2>History</h2>
<table><thead><tr><th>when</th><th>mode</th><th>length</th><th>files</th><th>top-1</th></tr></thead><tbody id="history"></tbody></table>
<script nonce="${nonce}" src="${src('trainView.js')}"></script>
</body></html>`;
    panel.onDidDispose(() => (this.panel = undefined));
    this.panel = panel;
    // The page's script registers its listener on load; replay once it can hear us.
    setTimeout(() => {
      for (const m of this.log) void panel.webview.postMessage(m);
      void panel.webview.postMessage({ type: 'history', entries: this.history() });
    }, 300);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
