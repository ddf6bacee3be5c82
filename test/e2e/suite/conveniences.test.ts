// Editor conveniences: Mask Word or Selection, the per-language switch, and the service's clamping of settings.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { bertDir, closeAllEditors, completionsAt, labelOf, openDocument, percentOf, positionAfter, useModel } from './clozeExtension';

const SENTENCE = 'This program is free [MASK].';

/** Cloze's candidates (a probability in the detail), not VS Code's word-based suggestions, which fill in when none come. */
async function clozeItems(doc: vscode.TextDocument, at: vscode.Position): Promise<vscode.CompletionItem[]> {
  return (await completionsAt(doc, at, ']')).filter((i) => /\d%/.test(i.detail ?? ''));
}

describe('Cloze editor conveniences', () => {
  // One piece per mask (cloze.maxPieces 1): these check the model's own probabilities, which whole words (the editor's
  // default, percentages shared among the words listed) do not show; test/e2e/ui/wholeWords.test.ts covers those.
  before(async () => {
    await vscode.workspace.getConfiguration('cloze').update('maxPieces', 1, vscode.ConfigurationTarget.Global);
    await useModel(bertDir);
  });
  after(async () => { await vscode.workspace.getConfiguration('cloze').update('maxPieces', undefined, vscode.ConfigurationTarget.Global); });
  afterEach(closeAllEditors);

  it('Mask Word or Selection replaces the word at each cursor (or the selection) with [MASK] and puts the cursor after it', async () => {
    const ed = await openDocument('The quick brown fox jumps over the lazy dog.\n');
    const doc = ed.document;
    const inBrown = doc.positionAt(doc.getText().indexOf('brown') + 2);
    const lazy = doc.getText().indexOf('lazy dog');
    ed.selections = [
      new vscode.Selection(inBrown, inBrown),
      new vscode.Selection(doc.positionAt(lazy), doc.positionAt(lazy + 'lazy dog'.length)),
    ];
    await vscode.commands.executeCommand('cloze.maskWordOrSelection');
    assert.strictEqual(doc.getText(), 'The quick [MASK] fox jumps over the [MASK].\n');
    const ends = ed.selections.map((s) => doc.offsetAt(s.active)).sort((a, b) => a - b);
    assert.deepStrictEqual(ends, [positionAfter(doc, '[MASK]', 0), positionAfter(doc, '[MASK]', 1)].map((p) => doc.offsetAt(p)));
    assert.ok((await clozeItems(doc, ed.selections[0].active)).length > 0, 'no candidates at the new mask');
  });

  it('Toggle for This Language turns Cloze off for the language of the active editor, and on again', async () => {
    const { document: doc } = await openDocument(SENTENCE, 'plaintext');
    const at = positionAfter(doc, '[MASK]');
    assert.ok((await clozeItems(doc, at)).length > 0, 'no candidates before the toggle');
    const enabled = () => vscode.workspace.getConfiguration('cloze', { languageId: 'plaintext' }).get<boolean>('enabled');
    await vscode.commands.executeCommand('cloze.toggleLanguage');
    try {
      assert.strictEqual(enabled(), false);
      assert.strictEqual((await clozeItems(doc, at)).length, 0, 'candidates while off for plaintext');
      const { document: md } = await openDocument(SENTENCE, 'markdown');
      assert.ok((await clozeItems(md, positionAfter(md, '[MASK]'))).length > 0, 'markdown lost its candidates');
    } finally {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('cloze.toggleLanguage');
    }
    assert.strictEqual(enabled(), true);
    assert.ok((await clozeItems(doc, at)).length > 0, 'no candidates after turning it back on');
  });

  it('the service clamps topK from settings (100000 → 50)', async () => {
    const c = vscode.workspace.getConfiguration('cloze');
    await c.update('topK', 100000, vscode.ConfigurationTarget.Global);
    try {
      const api = await useModel(bertDir);
      await api.ready();
      const { document: doc } = await openDocument(SENTENCE);
      const items = await clozeItems(doc, positionAfter(doc, '[MASK]'));
      assert.strictEqual(items.length, 50, `${items.length} candidates`);
    } finally {
      await c.update('topK', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a piece that continues the previous word is ranked by its probability and, accepted, removes the space before the mask', async () => {
    await useModel(''); // the bundled model: byte-level pieces, so "free" + "." continues the word
    try {
      const ed = await openDocument('This program is free [MASK]');
      const doc = ed.document;
      const items = await clozeItems(doc, positionAfter(doc, '[MASK]'));
      const glued = items.find((i) => labelOf(i).startsWith('…'));
      assert.ok(glued, `no continuation piece among ${items.map(labelOf).join(' ')}`);
      const range = glued.range instanceof vscode.Range ? glued.range : glued.range?.replacing;
      assert.ok(range && doc.getText(range) === '[MASK]', 'the item does not replace exactly the mask');
      assert.strictEqual(glued.filterText, items[0].filterText, 'items are filtered by different words');
      const sorted = [...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
      const pct = sorted.map(percentOf);
      assert.deepStrictEqual(pct, [...pct].sort((a, b) => b - a), `not in probability order: ${pct.join(' ')}`);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, range, typeof glued.insertText === 'string' ? glued.insertText : glued.insertText?.value ?? '');
      for (const e of glued.additionalTextEdits ?? []) edit.replace(doc.uri, e.range, e.newText);
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.strictEqual(doc.getText(), `This program is free${labelOf(glued).slice(1)}`);
    } finally {
      await useModel(bertDir);
    }
  });
});
