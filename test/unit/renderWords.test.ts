// What the completion list and hover make of whole words and joint fills (issue 11): real fills from the fixture and
// the bundled model, rendered into LSP items whose edits are applied to the document text.
import assert from 'node:assert/strict';
import path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from 'vscode-languageserver';
import { Engine } from '../../src/core/engine';
import type { FillResult } from '../../src/protocol';
import { completionItems, hoverMarkdown } from '../../src/server/render';
import { fixture, repoRoot } from '../paths';

/** The fill the service would send for the mask at `offset` (as src/server/main.ts builds it). */
async function fillResult(engine: Engine, doc: TextDocument, offset: number, maxPieces: number): Promise<FillResult> {
  const text = doc.getText();
  const p = (await engine.fillAt(text, offset, { topK: 8, maxPieces }))!;
  const line = doc.positionAt(offset).line;
  const within = { start: doc.offsetAt({ line, character: 0 }), end: doc.offsetAt({ line: line + 1, character: 0 }) };
  const j = p.masksInWindow >= 2 ? await engine.fillJoint(text, offset, { within }) : undefined;
  return {
    range: { start: doc.positionAt(p.span.start), end: doc.positionAt(p.span.end) },
    candidates: p.candidates,
    entropy: p.entropy,
    latencyMs: 0,
    model: engine.info.name,
    ...(j ? { joint: j.alternatives.map((a) => ({ texts: a.texts, inserts: a.inserts, score: a.score })), jointRanges: j.spans.map((s) => ({ start: doc.positionAt(s.start), end: doc.positionAt(s.end) })) } : {}),
    ...(maxPieces > 1 ? { wholeWords: true } : {}),
  };
}

function apply(doc: TextDocument, edits: TextEdit[]): string {
  return TextDocument.applyEdits(doc, edits);
}

describe('rendering whole words and joint fills', () => {
  it('two masks on a line: the pairs come first and one item fills both masks; single words follow', async () => {
    const engine = await Engine.load(fixture('bert-tiny-wordpiece'), { devices: ['cpu'] });
    try {
      const text = 'You should have received a [MASK] of the GNU General Public [MASK] along with this program.\nThis program is free [MASK].\n';
      const doc = TextDocument.create('file:///t.txt', 'plaintext', 1, text);
      const items = completionItems(doc, await fillResult(engine, doc, text.indexOf('Public [MASK]') + 8, 1));
      const sorted = [...items].sort((a, b) => a.sortText!.localeCompare(b.sortText!));
      assert.equal(sorted[0].label, 'copy … license');
      assert.match(sorted[0].detail ?? '', /together · 2 masks/);
      assert.ok(sorted[0].preselect);
      const edit = sorted[0].textEdit as TextEdit;
      assert.equal(apply(doc, [edit, ...(sorted[0].additionalTextEdits ?? [])]).split('\n')[0], 'You should have received a copy of the GNU General Public license along with this program.');
      // The mask on the next line is in the window but not on this line: never filled by a combination.
      assert.ok(items.every((i) => (i.additionalTextEdits ?? []).every((e) => e.range.start.line === 0)));
      const words = sorted.filter((i) => !/together/.test(i.detail ?? ''));
      assert.equal(words[0].label, 'license');
      assert.ok(!words[0].preselect);
    } finally {
      await engine.dispose();
    }
  });

  it('whole words: the list and hover say the percentages are shares of the words listed; accepting writes the word', async () => {
    const engine = await Engine.load(path.join(repoRoot, 'models', 'default'), { devices: ['cpu'] });
    try {
      const text = 'const [state, setState] = [MASK](0);';
      const doc = TextDocument.create('file:///t.ts', 'typescript', 1, text);
      const fill = await fillResult(engine, doc, text.indexOf('[MASK]'), 4);
      const items = completionItems(doc, fill);
      const item = items.find((i) => i.label === 'setState');
      assert.ok(item, items.map((i) => i.label).join(' '));
      assert.match(item.detail ?? '', /share of the 8 words listed/);
      assert.match(String((item.documentation as { value: string }).value), /whole word of 2 pieces/);
      assert.equal(apply(doc, [item.textEdit as TextEdit]), 'const [state, setState] = setState(0);');
      assert.match(hoverMarkdown(fill), /whole words \(percentages: share of these words\)/);
      const one = completionItems(doc, await fillResult(engine, doc, text.indexOf('[MASK]'), 1));
      assert.ok(one.every((i) => !/share/.test(i.detail ?? '')), 'one-piece fills show the model\'s probabilities');
    } finally {
      await engine.dispose();
    }
  });
});
