// The status bar item: which model, on which device, how fast — and a click away from every Cloze action. Shown only
// while the active editor is one where Cloze is active.
import * as vscode from 'vscode';
import { mdCode, mdText } from '../protocol/markdown';
import type { ModelStatus } from '../protocol';
import { isEnabledFor } from './settings';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cloze.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[];

  /** `started`: whether the service has been started in this window (before that Cloze is idle). */
  constructor(private readonly started: () => boolean) {
    this.item.name = 'Cloze';
    this.item.command = 'cloze.showMenu';
    this.show(undefined);
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.updateVisibility()),
      vscode.workspace.onDidOpenTextDocument(() => this.updateVisibility()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('cloze') && this.updateVisibility()),
    ];
    this.updateVisibility();
  }

  updateVisibility(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && isEnabledFor(doc)) this.item.show();
    else this.item.hide();
  }

  show(s: ModelStatus | undefined): void {
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown('**Cloze** — masked-token completion\n\n');
    if (!s && !this.started()) {
      this.item.text = '$(sparkle) Cloze';
      this.item.backgroundColor = undefined;
      md.appendMarkdown('Idle: the language-model service starts when you type `[MASK]` (or run a Cloze command).');
    } else if (!s || s.state === 'loading') {
      this.item.text = `$(loading~spin) Cloze${s?.model ? `: ${s.model}` : ''}`;
      this.item.backgroundColor = undefined;
      md.appendMarkdown(s?.model ? `Loading ${mdText(s.model)}…` : 'Starting the language-model service…');
    } else if (s.state === 'error') {
      this.item.text = `$(warning) Cloze${s.device ? `: ${s.model}` : ''}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      md.appendText(s.error ?? 'The model could not be loaded.');
      md.appendMarkdown('\n\nClick for options.');
    } else {
      const latency = s.lastLatencyMs !== undefined ? ` · ${Math.round(s.lastLatencyMs)} ms` : '';
      this.item.text = `$(sparkle) ${s.model} · ${(s.device ?? 'cpu').toUpperCase()}${latency}`;
      this.item.backgroundColor = undefined;
      md.appendMarkdown(`Model: ${mdCode(s.model ?? '')}\n\nFolder: ${mdCode(s.modelDir ?? '')}\n\nDevice: ${(s.device ?? 'cpu').toUpperCase()}`);
      if (s.fallbacks?.length) md.appendMarkdown(`\n\nNot used: ${s.fallbacks.map((f) => `${mdText(f.device)} (${mdText(f.error)})`).join('; ')}`);
      if (s.lastLatencyMs !== undefined) md.appendMarkdown(`\n\nLast prediction: ${s.lastLatencyMs} ms`);
      md.appendMarkdown(`\n\nType \`[MASK]\`${s.maskToken && s.maskToken !== '[MASK]' ? ` or ${mdCode(s.maskToken)}` : ''} anywhere to see fills.`);
    }
    this.item.tooltip = md;
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
