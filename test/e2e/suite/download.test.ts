// Cloze: Download Model… in a real extension host against a local Hub (real HTTP): download by id, then the model is
// selected (cloze.model = the id) and the service fills from the Hugging Face cache.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { FakeHub, repoFromFolder } from '../../hubServer';
import { e2eTempDir } from '../tempDirs';
import { bertDir, clozeApi, closeAllEditors, completionsAt, labelOf, openDocument, positionAfter, useModel } from './clozeExtension';

const SENTENCE = 'This program is free [MASK].';
const ENV = ['HF_ENDPOINT', 'HF_HOME', 'HF_HUB_OFFLINE', 'HF_TOKEN', 'CLOZE_CACHE'];

describe('Download Model from the Hub', () => {
  const hub = new FakeHub();
  const saved: Record<string, string | undefined> = {};
  let home: string;

  before(async () => {
    await hub.start();
    // A safetensors-only BERT (no model.onnx), as most Hub fill-mask models are.
    hub.repos.set('cloze-test/bert-tiny', repoFromFolder(bertDir, { skip: (f) => f === 'model.onnx' || f.startsWith('reference') }));
    for (const k of ENV) saved[k] = process.env[k];
    home = e2eTempDir('hf');
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_HOME = home;
    process.env.CLOZE_CACHE = path.join(home, 'cloze');
    delete process.env.HF_HUB_OFFLINE;
    delete process.env.HF_TOKEN;
    // The service inherits the extension host's environment when it starts: restart it with HF_HOME set.
    await useModel(bertDir);
    await vscode.commands.executeCommand('cloze.restartService');
  });
  afterEach(closeAllEditors);
  after(async () => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await useModel(bertDir);
    await vscode.commands.executeCommand('cloze.restartService');
    await hub.stop();
  });

  it('cloze.downloadModel fetches the id into the HF cache, selects it, and the service fills from it', async () => {
    const dir = await vscode.commands.executeCommand<string | undefined>('cloze.downloadModel', { repoId: 'cloze-test/bert-tiny' });
    assert.ok(dir, 'the command returned no snapshot folder');
    assert.ok(dir.startsWith(path.join(home, 'hub', 'models--cloze-test--bert-tiny', 'snapshots')), dir);
    assert.ok(fs.existsSync(path.join(dir, 'model.safetensors')));
    assert.strictEqual(vscode.workspace.getConfiguration('cloze').get<string>('model'), 'cloze-test/bert-tiny');
    const api = await clozeApi();
    await api.ready();
    const st = await api.status();
    assert.strictEqual(st.model, 'bert-tiny', JSON.stringify(st));
    assert.ok(st.modelDir.includes('.cloze-onnx'), st.modelDir);
    const { document: doc } = await openDocument(SENTENCE);
    const items = await completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
    assert.strictEqual(labelOf(items[0]), 'software');
    assert.strictEqual(hub.requests(/^\/cdn\//).length, 1, 'the weights came once, through the redirect');
  });

  it('an unknown id: an error, nothing selected, the current model keeps working', async () => {
    await useModel(bertDir);
    const dir = await vscode.commands.executeCommand<string | undefined>('cloze.downloadModel', { repoId: 'cloze-test/missing' });
    assert.strictEqual(dir, undefined);
    assert.strictEqual(vscode.workspace.getConfiguration('cloze').get<string>('model'), bertDir);
    assert.ok(hub.requests(/\/api\/models\/cloze-test\/missing\//).length >= 1);
    const { document: doc } = await openDocument(SENTENCE);
    const items = await completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
    assert.ok(items.length > 0);
  });
});
