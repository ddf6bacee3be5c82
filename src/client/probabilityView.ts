// The webview behind the hover's "probability view" link: every candidate of a mask as bars, with entropy and joint fills.
import * as vscode from 'vscode';
import { cspNonce } from './nonce';
import type { ServiceClient } from './service';

export class ProbabilityView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: ServiceClient,
  ) {}

  async show(arg: { uri: string; position: { line: number; character: number } } | undefined): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const uri = arg?.uri ?? editor?.document.uri.toString();
    const position = arg?.position ?? (editor ? { line: editor.selection.active.line, character: editor.selection.active.character } : undefined);
    if (!uri || !position) {
      void vscode.window.showInformationMessage('Cloze: put the cursor on a [MASK] to see its probabilities.');
      return;
    }
    const result = await this.service.fill({ uri, position, topK: 20, joint: true });
    if (!result) {
      void vscode.window.showInformationMessage('Cloze: there is no mask at the cursor (type [MASK] where a word should go).');
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    const line = doc?.lineAt(result.range.start.line).text ?? '';
    this.reveal().webview.postMessage({ type: 'fill', result, context: line.length > 400 ? line.slice(Math.max(0, result.range.start.character - 200), result.range.end.character + 200) : line });
  }

  private reveal(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return this.panel;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('cloze.probabilities', 'Cloze: Probabilities', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [media],
    });
    const n = cspNonce();
    const css = panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'probabilities.css'));
    const js = panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'probabilities.js'));
    panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${panel.webview.cspSource}; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${css}" rel="stylesheet"><title>Cloze: Probabilities</title></head>
<body><main id="root"><p class="muted">Waiting for a prediction…</p></main>
<script nonce="${n}" src="${js}"></script></body></html>`;
    panel.onDidDispose(() => (this.panel = undefined));
    this.panel = panel;
    return panel;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

