// Over the real LSP with the bundled model: a completion never repeats the punctuation that follows the mask, even
// when the model's own candidates do (src/core/rightEdge.ts, applied by the service).
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { CompletionItem, TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Engine } from '../../src/core/engine';
import { repoRoot } from '../paths';

const LINES = ['console.error("error[MASK]");', 'for (let i = 0; i < n; i[MASK]) {}'];

describe('completions at a mask followed by punctuation', function () {
  this.timeout(120_000);
  const model = path.join(repoRoot, 'models', 'default');
  const uri = 'file:///edge.ts';
  const text = LINES.join('\n') + '\n';
  let child: ChildProcess;
  let conn: MessageConnection;

  before(async () => {
    child = fork(path.join(repoRoot, 'dist', 'server.js'), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.listen();
    await conn.sendRequest('initialize', {
      processId: process.pid, rootUri: null, capabilities: {},
      initializationOptions: { model: '', bundledModel: model, devices: ['cpu'], topK: 8, contextTokens: 256, maxFileSizeMB: 5 },
    });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
  });

  after(() => {
    conn?.dispose();
    child?.kill();
  });

  it('the model offers pieces that run past the mask, and no completion item inserts that text twice', async () => {
    const engine = await Engine.load(model, { devices: ['cpu'] });
    const doc = TextDocument.create(uri, 'typescript', 1, text);
    try {
      for (const [line, source] of LINES.entries()) {
        const maskAt = text.indexOf(source) + source.indexOf('[MASK]');
        const after = source.slice(source.indexOf('[MASK]') + '[MASK]'.length);
        // The precondition: among the model's own 12 best pieces, some end with what follows the mask.
        const raw = (await engine.fillAt(text, maskAt, { topK: 12 }))!.candidates.map((c) => c.text);
        const runsPast = (t: string): boolean => [...Array(t.length).keys()].some((k) => after.startsWith(t.slice(k)) && !/[\p{L}\p{N}_\s]/u.test(t.slice(k)));
        const overlapping = raw.filter(runsPast);
        assert.ok(overlapping.length > 0, `line ${line}: no candidate runs past the mask (${raw.join(' | ')}); pick another line for this test`);

        const reply = await conn.sendRequest<{ items: CompletionItem[] } | null>('textDocument/completion', { textDocument: { uri }, position: doc.positionAt(maskAt + 1) });
        const items = reply?.items ?? [];
        assert.ok(items.length > 0, `line ${line}: no completions`);
        const results = items.map((i) => TextDocument.applyEdits(doc, [i.textEdit as TextEdit, ...(i.additionalTextEdits ?? [])]).split('\n')[line]);
        for (const r of results) assert.ok(r.endsWith(after), `line ${line}: ${JSON.stringify(r)} lost the text after the mask`);
        const doubled = items.filter((i) => runsPast((i.textEdit as TextEdit).newText)).map((i) => (i.textEdit as TextEdit).newText);
        assert.deepEqual(doubled, [], `line ${line}: these insert text that follows the mask again`);
      }
    } finally {
      await engine.dispose();
    }
  });
});
