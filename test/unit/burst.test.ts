// A burst of completion requests over the real LSP (the bundled service process): superseded requests never reach the
// model, so 1,000 requests on one document cost a handful of model runs (issue 12 #3). Counts runs; times are printed
// for the record, not asserted (speed is the benchmark's job).
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { repoRoot } from '../paths';

interface Status { state: string; modelRuns?: number }

describe('a burst of completion requests over LSP', function () {
  this.timeout(120_000);
  let child: ChildProcess;
  let conn: MessageConnection;
  const uri = 'file:///burst.txt';

  before(async () => {
    child = fork(path.join(repoRoot, 'dist', 'server.js'), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.listen();
    const model = path.join(repoRoot, 'models', 'default');
    await conn.sendRequest('initialize', {
      processId: process.pid, rootUri: null, capabilities: {},
      initializationOptions: { model: '', bundledModel: model, devices: ['cpu'], topK: 8, contextTokens: 256, maxFileSizeMB: 5 },
    });
    await conn.sendNotification('initialized', {});
    const st = await conn.sendRequest<Status>('cloze/status');
    assert.equal(st.state, 'ready');
    const text = `${'The service reads the words around the mask and ranks the vocabulary. '.repeat(8)}This program is free [MASK].\n`;
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'plaintext', version: 1, text } });
  });

  after(() => {
    conn?.dispose();
    child?.kill();
  });

  it('1,000 requests at once: every one is answered, the model runs only a handful of times', async () => {
    const runsBefore = (await conn.sendRequest<Status>('cloze/status')).modelRuns ?? 0;
    const line = 8 * 0; // the mask is on the first line
    const character = (`${'The service reads the words around the mask and ranks the vocabulary. '.repeat(8)}This program is free [MASK]`).length;
    const t0 = performance.now();
    const replies = await Promise.all(Array.from({ length: 1000 }, () =>
      conn.sendRequest<{ items: unknown[] } | null>('textDocument/completion', { textDocument: { uri }, position: { line, character } })));
    const drainMs = performance.now() - t0;
    const runs = ((await conn.sendRequest<Status>('cloze/status')).modelRuns ?? 0) - runsBefore;
    const answered = replies.filter((r) => r && r.items.length > 0).length;
    console.log(`      1,000 requests drained in ${drainMs.toFixed(0)} ms; ${runs} model run(s); ${answered} answered with candidates`);
    assert.ok(replies.at(-1)?.items.length, 'the newest request got no candidates');
    assert.ok(runs >= 1 && runs <= 5, `${runs} model runs`);
  });
});
