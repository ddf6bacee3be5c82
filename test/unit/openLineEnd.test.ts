// A mask that ends its line, read with the rest of the line not yet written (FillOptions.openLineEnd): what the
// editor asks for while the user types, on the real bundled model and the fixtures.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine, OPEN_LINE_MASKS } from '../../src/core/engine';
import { fitCandidates } from '../../src/core/edges';
import { fixture, repoRoot } from '../paths';

describe('a mask at the end of its line (openLineEnd)', () => {
  const engines: Record<string, Engine> = {};
  before(async () => {
    engines.default = await Engine.load(path.join(repoRoot, 'models', 'default'), { devices: ['cpu'] });
    engines.bert = await Engine.load(fixture('bert-tiny-wordpiece'), { devices: ['cpu'] });
  });
  after(async () => { for (const e of Object.values(engines)) await e.dispose(); });

  it('is the fill of the same text with OPEN_LINE_MASKS more masks after it (and a line break where the text ends); the span and mask count are those of the text as typed', async () => {
    for (const [name, e] of Object.entries(engines)) {
      const more = e.files.maskToken.repeat(OPEN_LINE_MASKS);
      for (const [typed, explicit] of [
        ['All rights [MASK]', `All rights [MASK]${more}\n`],
        ['All rights [MASK]  \nNext line.', `All rights [MASK]${more}  \nNext line.`],
        ['x = [MASK]\r\ny = 2', `x = [MASK]${more}\r\ny = 2`],
      ]) {
        const open = (await e.fillAt(typed, typed.indexOf('[MASK]'), { topK: 8, openLineEnd: true }))!;
        const plain = (await e.fillAt(typed, typed.indexOf('[MASK]'), { topK: 8 }))!;
        const asIf = (await e.fillAt(explicit, explicit.indexOf('[MASK]'), { topK: 8 }))!;
        assert.deepEqual(open.candidates, asIf.candidates, `${name}: ${JSON.stringify(typed)}`);
        assert.deepEqual(open.span, plain.span);
        assert.equal(open.masksInWindow, plain.masksInWindow);
        assert.notDeepEqual(open.candidates.map((c) => c.score), plain.candidates.map((c) => c.score), `${name}: the option changed nothing on ${JSON.stringify(typed)}`);
      }
    }
  });

  it('changes nothing when the line goes on after the mask, and with whole words follows the same rule', async () => {
    const e = engines.default;
    for (const text of ['All rights [MASK].', 'console.[MASK](x);\n', 'a [MASK] b']) {
      assert.deepEqual(await e.fillAt(text, text.indexOf('[MASK]'), { topK: 8, openLineEnd: true }), await e.fillAt(text, text.indexOf('[MASK]'), { topK: 8 }));
    }
    const typed = 'Licensed under the Apache [MASK]';
    const open = (await e.fillAt(typed, typed.indexOf('[MASK]'), { topK: 5, maxPieces: 2, openLineEnd: true }))!;
    const asIf = (await e.fillAt(`${typed}${'<mask>'.repeat(OPEN_LINE_MASKS)}\n`, typed.indexOf('[MASK]'), { topK: 5, maxPieces: 2 }))!;
    assert.deepEqual(open.candidates, asIf.candidates);
  });

  it('the bundled model: sentences typed up to a mask at the end of the text get the word, not the sentence end', async () => {
    const e = engines.default;
    const report: string[] = [];
    let better = 0;
    const cases: [string, string][] = [['Copyright (c) 2025 Acme Inc. All rights [MASK]', 'reserved'], ['Licensed under the Apache [MASK]', 'License'], ['This program is free [MASK]', 'software']];
    for (const [typed, word] of cases) {
      const rank = async (openLineEnd: boolean) => {
        const p = (await e.fillAt(typed, typed.indexOf('[MASK]'), { topK: 40, openLineEnd }))!;
        return fitCandidates(typed, p.span, p.candidates).map((c) => c.text.trim());
      };
      const [plain, open] = [await rank(false), await rank(true)];
      report.push(`${JSON.stringify(typed)}: as typed ${plain.slice(0, 3).join(' | ')}; open ${open.slice(0, 3).join(' | ')}`);
      const at = (list: string[]) => (list.includes(word) ? list.indexOf(word) : Infinity);
      assert.ok(at(open) <= at(plain), report.join('\n'));
      if (at(open) < at(plain)) better++;
    }
    console.log(report.map((l) => `      ${l}`).join('\n'));
    assert.ok(better >= 2, report.join('\n'));
  });
});
