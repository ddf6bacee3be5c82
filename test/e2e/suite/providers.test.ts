// Completion, hover, ghost text and status of the real extension with a real model, checked against PyTorch's numbers.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  bertDir, closeAllEditors, completionsAt, hoverTextAt, labelOf, openDocument, percentOf, positionAfter, useModel,
} from './clozeExtension';
import { referenceCase } from '../reference';

const SENTENCE = 'This program is free [MASK].';

describe('Cloze providers with bert-tiny-wordpiece', () => {
  const ref = referenceCase(bertDir, SENTENCE).masks[0];

  // One piece per mask (cloze.maxPieces 1): these check the model's own probabilities, which whole words (the editor's
  // default, percentages shared among the words listed) do not show; test/e2e/ui/wholeWords.test.ts covers those.
  before(async () => {
    await vscode.workspace.getConfiguration('cloze').update('maxPieces', 1, vscode.ConfigurationTarget.Global);
    await useModel(bertDir);
  });
  after(async () => { await vscode.workspace.getConfiguration('cloze').update('maxPieces', undefined, vscode.ConfigurationTarget.Global); });
  afterEach(closeAllEditors);

  it('status() names the selected model and its device', async () => {
    const api = await useModel(bertDir);
    const st = await api.status();
    assert.match(st.model, /bert-tiny-wordpiece/);
    assert.strictEqual(path.resolve(st.modelDir), path.resolve(bertDir));
    assert.ok(st.device.length > 0, 'device is empty');
  });

  it('completion after [MASK] lists words with probabilities, best first, as PyTorch predicts', async () => {
    const { document: doc } = await openDocument(SENTENCE);
    const maskStart = SENTENCE.indexOf('[MASK]');
    const items = await completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
    assert.ok(items.length > 0, 'no completion items');
    const ordered = [...items].sort((a, b) => (a.sortText ?? labelOf(a)).localeCompare(b.sortText ?? labelOf(b)));
    console.log(`    items: ${ordered.map((i) => `${labelOf(i)} ${i.detail}`).join(' | ')}`);
    assert.strictEqual(labelOf(ordered[0]), ref.top_tokens[0]);
    assert.ok(Math.abs(percentOf(ordered[0]) - 100 * ref.top_probs[0]) < 1.5,
      `"${labelOf(ordered[0])}" shows ${percentOf(ordered[0])}%, PyTorch says ${(100 * ref.top_probs[0]).toFixed(1)}%`);
    const percents = ordered.map(percentOf);
    assert.deepStrictEqual(percents, [...percents].sort((a, b) => b - a), 'items are not sorted by probability');
    for (const item of ordered) {
      const range = item.range instanceof vscode.Range ? item.range : item.range?.replacing;
      assert.ok(range, `"${labelOf(item)}" has no edit range`);
      // A piece that continues the previous word (e.g. ".") may also take the space before the mask.
      assert.ok(range.end.isEqual(new vscode.Position(0, maskStart + '[MASK]'.length)) && /^\s*\[MASK\]$/.test(doc.getText(range)),
        `"${labelOf(item)}" replaces ${JSON.stringify(doc.getText(range))}, not the [MASK]`);
      const insert = typeof item.insertText === 'string' ? item.insertText : item.insertText?.value ?? labelOf(item);
      assert.ok(insert.length > 0 && labelOf(item).includes(insert.trim()), `"${labelOf(item)}" inserts ${JSON.stringify(insert)}`);
    }
    const words = ref.top_tokens.slice(0, 3).filter((t) => /\w/.test(t));
    for (const w of words) assert.ok(ordered.some((i) => labelOf(i) === w), `PyTorch top-3 word "${w}" missing`);
  });

  it('hover on [MASK] shows the candidates with bars and entropy', async () => {
    const { document: doc } = await openDocument(SENTENCE);
    const text = await hoverTextAt(doc, doc.positionAt(SENTENCE.indexOf('[MASK]') + 2));
    console.log(`    hover: ${JSON.stringify(text.slice(0, 300))}`);
    assert.ok(text.includes(ref.top_tokens[0]), `hover lacks "${ref.top_tokens[0]}": ${text}`);
    assert.match(text, /entropy/i);
    assert.match(text, /[█▏▎▍▌▋▊▉■▮▰]/, 'hover shows no bars');
  });

  it('ghost text after a typed [MASK] offers the best fill and accepting it fills the mask', async () => {
    const editor = await openDocument('This program is free ');
    const end = editor.document.lineAt(0).range.end;
    await editor.edit((e) => e.insert(end, '[MASK]'));
    const after = positionAfter(editor.document, '[MASK]');
    editor.selection = new vscode.Selection(after, after);
    // The provider is debounced and asynchronous: ask until VS Code has a suggestion to commit (bounded tries).
    for (let i = 0; i < 60 && editor.document.getText().includes('[MASK]'); i++) {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await new Promise((r) => setTimeout(r, 500));
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    }
    assert.strictEqual(editor.document.lineAt(0).text, `This program is free ${ref.top_tokens[0]}`);
  });
});
