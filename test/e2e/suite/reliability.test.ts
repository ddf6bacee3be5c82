// Fault injection (issue 13): the service process is killed during a fill, while loading a model and during training;
// the request in flight ends, the client restarts the service, and the user keeps working with the same model.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { bertDir, closeAllEditors, completionsAt, fixturesDir, openDocument, positionAfter, repoRoot, useModel } from './clozeExtension';

const SENTENCE = 'This program is free [MASK].';
const robertaDir = path.join(fixturesDir, 'roberta-tiny-bpe');

interface Api {
  status(): Promise<{ state: string; model: string; serverPid?: number }>;
  training: { onProgress: vscode.Event<{ step: number }> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function within<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms); });
  try {
    return await Promise.race([Promise.resolve(p), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a service process other than `oldPid` that has loaded a model. */
async function restarted(api: Api, oldPid: number): Promise<{ state: string; model: string; serverPid?: number }> {
  for (let i = 0; i < 300; i++) {
    const st = await within(api.status(), 60_000, 'status()');
    if (st.serverPid && st.serverPid !== oldPid && st.state === 'ready') return st;
    await sleep(200);
  }
  assert.fail('the service did not come back');
}

async function fillsAgain(): Promise<void> {
  const { document: doc } = await openDocument(SENTENCE);
  const items = (await completionsAt(doc, positionAfter(doc, '[MASK]'), ']')).filter((i) => /\d%/.test(i.detail ?? ''));
  assert.ok(items.length > 0, 'no Cloze candidates after the restart');
}

describe('a killed service comes back (fault injection)', function () {
  this.timeout(240_000);
  afterEach(closeAllEditors);

  it('killed during a fill: the request ends, the service restarts, fills work again', async () => {
    const api = (await useModel(bertDir)) as unknown as Api;
    const pid = (await api.status()).serverPid;
    assert.ok(pid);
    const { document: doc } = await openDocument(SENTENCE);
    const pending = completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
    process.kill(pid, 'SIGKILL');
    await within(pending, 30_000, 'the completion request');
    const back = await restarted(api, pid);
    assert.match(back.model, /bert-tiny-wordpiece/);
    await fillsAgain();
  });

  it('killed while loading a model: it comes back with that model', async () => {
    const api = (await useModel(bertDir)) as unknown as Api;
    const pid = (await api.status()).serverPid;
    assert.ok(pid);
    const update = vscode.workspace.getConfiguration('cloze').update('model', robertaDir, vscode.ConfigurationTarget.Global);
    await sleep(50);
    process.kill(pid, 'SIGKILL');
    await update;
    try {
      const back = await restarted(api, pid);
      assert.match(back.model, /roberta-tiny-bpe/);
      await fillsAgain();
    } finally {
      await useModel(bertDir);
    }
  });

  it('killed during training: the run ends with a message, the checkpoint folder stays, the service restarts', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws);
    fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source'), path.join(ws, 'project'), { recursive: true });
    const api = (await useModel(bertDir)) as unknown as Api;
    const pid = (await api.status()).serverPid;
    assert.ok(pid);
    let steps = 0;
    const sub = api.training.onProgress(() => steps++);
    try {
      const run = vscode.commands.executeCommand('cloze.trainWorkspace', { minutes: 10, mode: 'continue', yes: true, steps: 400 });
      for (let i = 0; i < 1200 && steps < 2; i++) await sleep(100);
      assert.ok(steps >= 2, 'training did not start');
      process.kill(pid, 'SIGKILL');
      const result = await within(run, 60_000, 'the training command');
      assert.strictEqual(result, undefined, 'a killed run returned a summary');
    } finally {
      sub.dispose();
    }
    const back = await restarted(api, pid);
    assert.match(back.model, /bert-tiny-wordpiece/, 'the trained model was swapped in although the run died');
    await fillsAgain();
    await vscode.commands.executeCommand('cloze.revertModel');
  });
});
