// Bad models and hostile documents: the extension must keep the editor and itself working afterwards.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { binaryBytes, hundredMasks, megabyteLine, minifiedJs } from '../badDocuments';
import { garbageOnnxModel, missingModelDir, noMaskTokenModel, wrongInputsModel } from '../badModels';
import {
  bertDir, ClozeApi, closeAllEditors, completionsAt, hoverTextAt, labelOf, openDocument, openFile, positionAfter, useModel,
} from './clozeExtension';

const SENTENCE = 'This program is free [MASK].';

/** The service still fills a plain sentence with the good model. */
async function assertStillFills(): Promise<void> {
  await useModel(bertDir);
  const { document: doc } = await openDocument(SENTENCE);
  const items = await completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
  assert.ok(items.length > 0 && labelOf(items[0]).length > 0, 'no completions with the good model afterwards');
}

/** How ready() ended for a bad model, for the log only: rejecting and never resolving are both acceptable contracts. */
async function readiness(api: ClozeApi): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<string>((r) => { timer = setTimeout(() => r('still pending after 20 s'), 20_000); });
  const outcome = await Promise.race([api.ready().then(() => 'resolved', (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`), pending]);
  clearTimeout(timer);
  return outcome;
}

describe('Bad input leaves Cloze and the editor working', () => {
  before(async () => { await useModel(bertDir); });
  afterEach(closeAllEditors);
  after(async () => { await useModel(bertDir); });

  const badModels: [string, () => string][] = [
    ['a missing model folder', missingModelDir],
    ['a model folder with a garbage model.onnx', () => garbageOnnxModel(bertDir)],
    ['a tokenizer without a mask token', () => noMaskTokenModel(bertDir)],
    ['a model whose inputs do not match', () => wrongInputsModel(bertDir)],
  ];
  for (const [name, make] of badModels) {
    it(`${name}: requests still answer and a good model works again`, async () => {
      const api = await useModel(bertDir);
      await vscode.workspace.getConfiguration('cloze').update('model', make(), vscode.ConfigurationTarget.Global);
      console.log(`    ready(): ${await readiness(api)}`);
      const st = await api.status();
      console.log(`    status: ${JSON.stringify(st)}`);
      const editor = await openDocument(SENTENCE);
      await completionsAt(editor.document, positionAfter(editor.document, '[MASK]'), ']');
      await hoverTextAt(editor.document, editor.document.positionAt(SENTENCE.indexOf('[MASK]') + 2));
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'ok ')), 'the editor no longer accepts edits');
      await assertStillFills();
    });
  }

  it('a binary file: completion and hover answer, the service survives', async () => {
    let editor: vscode.TextEditor;
    try {
      editor = await openFile('blob.bin', binaryBytes());
    } catch {
      // VS Code may refuse binary files as text; the same bytes then arrive through an untitled document.
      editor = await openDocument(binaryBytes().toString('latin1'));
    }
    const pos = positionAfter(editor.document, '[MASK]');
    const items = await completionsAt(editor.document, pos, ']');
    const cloze = items.filter((i) => /%/.test(i.detail ?? ''));
    console.log(`    ${items.length} items (${cloze.length} from Cloze)`);
    assert.deepStrictEqual(cloze.map(labelOf), [], 'Cloze predicted inside a binary file');
    await hoverTextAt(editor.document, pos.translate(0, -2));
    await assertStillFills();
  });

  it('a minified file: completion answers, the service survives', async () => {
    const editor = await openFile('bundle.min.js', minifiedJs());
    const items = await completionsAt(editor.document, positionAfter(editor.document, '[MASK]'), ']');
    console.log(`    ${items.length} items: ${items.slice(0, 3).map(labelOf).join(', ')}`);
    await assertStillFills();
  });

  it('a 1 MB single line with a mask: completion answers, the service survives', async () => {
    const { text } = megabyteLine();
    const editor = await openFile('huge-line.txt', text);
    const items = await completionsAt(editor.document, positionAfter(editor.document, '[MASK]'), ']');
    console.log(`    ${items.length} items: ${items.slice(0, 3).map(labelOf).join(', ')}`);
    await assertStillFills();
  });

  it('100 masks in a line: completion and hover answer, the service survives', async () => {
    const editor = await openDocument(hundredMasks());
    const pos = positionAfter(editor.document, '[MASK]', 49);
    const items = await completionsAt(editor.document, pos, ']');
    console.log(`    ${items.length} items: ${items.slice(0, 3).map(labelOf).join(', ')}`);
    await hoverTextAt(editor.document, pos.translate(0, -2));
    await assertStillFills();
  });
});
