// Whole words from one mask (issue 11 #1) on the real fixtures and the bundled model: the word rule, the PLL scores
// recomputed independently, the shares, and that one-piece fills are untouched.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { ClozeError } from '../../src/core/errors';
import { continuesWord } from '../../src/core/edges';
import { scorePieces, wholeWords } from '../../src/core/wholeWord';
import { fixture, repoRoot } from '../paths';

const defaultModel = path.join(repoRoot, 'models', 'default');
const STATE = 'const [state, setState] = [MASK](0);';

/** log P(id) at one row's position from the plain one-position API (no padding, no grid). */
async function logProbAt(engine: Engine, row: number[], pos: number, id: number): Promise<number> {
  const out = await engine.logitsAtRows([row], [pos]);
  const o = out.offset(0);
  let max = -Infinity;
  for (let v = 0; v < out.vocab; v++) if (!engine.neverOffered.has(v) && out.data[o + v] > max) max = out.data[o + v];
  let sum = 0;
  for (let v = 0; v < out.vocab; v++) if (!engine.neverOffered.has(v)) sum += Math.exp(out.data[o + v] - max);
  return out.data[o + id] - max - Math.log(sum);
}

describe('whole words from one mask', () => {
  const engines: Record<string, Engine> = {};
  before(async () => {
    engines.default = await Engine.load(defaultModel, { devices: ['cpu'] });
    engines.bert = await Engine.load(fixture('bert-tiny-wordpiece'), { devices: ['cpu'] });
    engines.roberta = await Engine.load(fixture('roberta-tiny-bpe'), { devices: ['cpu'] });
  });
  after(async () => { for (const e of Object.values(engines)) await e.dispose(); });

  it('logitsGrid: rows of different lengths padded into one run give the logits of each row run alone', async () => {
    for (const [name, e] of Object.entries(engines)) {
      const a = await e.tokenizer.encodeFramed('This program is free software.');
      const b = await e.tokenizer.encodeFramed('You should have received a copy of the GNU General Public License.');
      const grid = await e.logitsGrid([a, b], [[2, 3], [4]]);
      for (const [row, b2, pos, j] of [[a, 0, 2, 0], [a, 0, 3, 1], [b, 1, 4, 0]] as const) {
        const alone = await e.logitsAtRows([row], [pos]);
        const x = grid.data(b2);
        let worst = 0;
        for (let v = 0; v < grid.vocab; v++) worst = Math.max(worst, Math.abs(x[grid.offset(b2, j) + v] - alone.data[alone.offset(0) + v]));
        assert.ok(worst < 1e-4, `${name}: row ${b2} position ${pos} differs by ${worst}`);
      }
    }
  });

  it('the bundled model fills setState (Ġset + State) as one whole word, ranked among one-piece words', async () => {
    const e = engines.default;
    const p = await e.fillAt(STATE, STATE.indexOf('[MASK]'), { topK: 5, maxPieces: 4 });
    assert.ok(p);
    console.log(`      ${p.candidates.map((c) => `${c.text}${c.pieces ? `(${c.pieces.length})` : ''} ${(100 * c.score).toFixed(1)}%`).join(' | ')}`);
    const word = p.candidates.find((c) => c.text === 'setState');
    assert.ok(word?.pieces, 'setState is not among the candidates');
    assert.deepEqual(word.pieces.map((id) => e.tokenizer.piece(id)), ['\u0120set', 'State']);
    assert.equal(word.insert, 'setState');
    assert.equal(word.token, '\u0120set State');
    const sum = p.candidates.reduce((s, c) => s + c.score, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`);
    assert.deepEqual(p.candidates.map((c) => c.score), [...p.candidates.map((c) => c.score)].sort((a, b) => b - a));
  });

  it('every multi-piece candidate obeys the word rule: identifier pieces, continuations after the first, its own tokenizer spelling, no echo', async () => {
    for (const [name, e] of Object.entries(engines)) {
      for (const text of [STATE, 'This program is free [MASK].', 'if (err) throw new [MASK]("bad input");', 'return value.[MASK]().trim();']) {
        const w = await wholeWords(e, text, e.maskAt(text, text.indexOf('[MASK]'))!, { maxPieces: 4, topK: 12, beam: 4 });
        for (const c of w.candidates.filter((x) => x.ids.length > 1)) {
          const parts = await Promise.all(c.ids.map((id) => e.tokenizer.pieceText(id)));
          assert.ok(parts.every((t) => /^[\p{L}\p{N}_]+$/u.test(t.text)), `${name}: ${c.text} has a non-identifier piece`);
          assert.ok(parts.slice(1).every((t) => t.attach), `${name}: ${c.text} has a piece that starts a new word after its first`);
          assert.deepEqual(await e.tokenizer.encodeIds(await e.tokenizer.decode([...c.ids])), [...c.ids], `${name}: ${c.text} is not the tokenizer's spelling`);
          const keys = parts.map((t) => t.text.toLowerCase().replace(/_/g, '')).filter(Boolean);
          assert.equal(new Set(keys).size, keys.length, `${name}: ${c.text} repeats a piece`);
          assert.equal(c.text, parts.map((t) => t.text).join(''));
        }
      }
    }
  });

  it('scores: one piece is log P(piece); pll re-masks each piece alone, l2r masks it with the pieces to its right', async () => {
    const e = engines.default;
    const win = await e.tokenizer.encodeFramed('const [state, setState] = <mask>(0);');
    const p = win.indexOf(e.tokenizer.maskId);
    const use = e.tokenizer.tokenToId('\u0120use')!;
    const State = e.tokenizer.tokenToId('State')!;
    const [one, pll, l2r] = [
      await scorePieces(e, win, p, [[use]], 'pll'),
      await scorePieces(e, win, p, [[use, State]], 'pll'),
      await scorePieces(e, win, p, [[use, State]], 'l2r'),
    ];
    const m = e.tokenizer.maskId;
    const row = (a: number, b: number) => [...win.slice(0, p), a, b, ...win.slice(p + 1)];
    assert.ok(Math.abs(one[0] - (await logProbAt(e, win, p, use))) < 1e-4);
    const expectPll = (await logProbAt(e, row(m, State), p, use)) + (await logProbAt(e, row(use, m), p + 1, State));
    const expectL2r = (await logProbAt(e, row(m, m), p, use)) + (await logProbAt(e, row(use, m), p + 1, State));
    assert.ok(Math.abs(pll[0] - expectPll) < 1e-4, `pll ${pll[0]} vs ${expectPll}`);
    assert.ok(Math.abs(l2r[0] - expectL2r) < 1e-4, `l2r ${l2r[0]} vs ${expectL2r}`);
  });

  it('the PLL a whole-word fill reports is scorePieces run afresh (l2r reuses generation\'s all-masked rows; pll does not)', async () => {
    const e = engines.default;
    const win = await e.tokenizer.encodeFramed('const [state, setState] = <mask>(0);');
    const p = win.indexOf(e.tokenizer.maskId);
    for (const scoring of ['l2r', 'pll'] as const) {
      const w = await wholeWords(e, STATE, e.maskAt(STATE, STATE.indexOf('[MASK]'))!, { maxPieces: 4, topK: 8, scoring });
      const multi = w.candidates.filter((c) => c.ids.length > 1);
      assert.ok(multi.length > 0);
      const fresh = await scorePieces(e, win, p, multi.map((c) => c.ids), scoring);
      multi.forEach((c, i) => assert.ok(Math.abs(c.pll - fresh[i]) < 1e-4, `${scoring} ${c.text}: ${c.pll} vs ${fresh[i]}`));
    }
  });

  it('maxPieces 1 is the one-piece fill itself; whole words keep the one-piece candidates and their order', async () => {
    for (const e of Object.values(engines)) {
      const text = 'This program is free [MASK].';
      const plain = (await e.fillAt(text, 22, { topK: 8 }))!;
      const again = (await e.fillAt(text, 22, { topK: 8, maxPieces: 1 }))!;
      assert.deepEqual(again, plain);
      assert.ok(plain.candidates.every((c) => c.pieces === undefined));
      const words = (await e.fillAt(text, 22, { topK: 8, maxPieces: 4 }))!;
      const singles = words.candidates.filter((c) => !c.pieces).map((c) => c.id);
      assert.deepEqual(singles, plain.candidates.map((c) => c.id).filter((id) => singles.includes(id)), 'one-piece words out of order');
      // The same distribution, from a graph whose last layer ran at every position or only at the mask (float rounding).
      assert.ok(Math.abs(words.entropy - plain.entropy) < 1e-5, `entropy ${words.entropy} vs ${plain.entropy}`);
    }
  });

  it('after a space the user typed, no word continues the one before the mask; the one-piece words left keep the plain order', async () => {
    let passedOver = 0;
    for (const [name, e] of Object.entries(engines)) {
      for (const text of ['Copyright (c) 2025 Acme Inc. All rights [MASK]', 'Run npm [MASK] to install the dependencies.', 'const body = JSON.[MASK]']) {
        const span = e.maskAt(text, text.indexOf('[MASK]'))!;
        const spaced = /\s/.test(text[span.start - 1]);
        const w = await wholeWords(e, text, span, { maxPieces: 3, topK: 8 });
        const firsts = await Promise.all(w.candidates.map((c) => e.tokenizer.pieceText(c.ids[0])));
        if (spaced) assert.deepEqual(w.candidates.filter((_, i) => continuesWord(firsts[i])).map((c) => c.text), [], `${name}: ${text}`);
        // The one-piece words are the plain fill's, word continuations passed over only after a space, in its order.
        const all = (await e.fillAt(text, span.start, { topK: 80 }))!.candidates;
        const plain = all.filter((c) => !(spaced && continuesWord(c))).map((c) => c.id);
        passedOver += all.length - plain.length;
        const ones = w.candidates.filter((c) => c.ids.length === 1).map((c) => c.ids[0]);
        assert.ok(ones.length > 0, `${name}: ${text}: no one-piece word`);
        assert.deepEqual(ones, plain.slice(0, ones.length), `${name}: ${text}`);
      }
    }
    assert.ok(passedOver > 0, 'no plain fill had a word continuation after a typed space: the rule was not exercised');
  });

  it('WordPiece (bert fixture): "software" stays first with maxPieces 4', async () => {
    const e = engines.bert;
    const p = (await e.fillAt('This program is free [MASK].', 22, { topK: 5, maxPieces: 4 }))!;
    assert.equal(p.candidates[0].text, 'software');
  });

  it('a request that goes stale is dropped before the model runs', async () => {
    const e = engines.default;
    const runs = e.runs;
    await assert.rejects(e.fillAt(STATE, STATE.indexOf('[MASK]'), { maxPieces: 4, isCancelled: () => true }), (err: unknown) => err instanceof ClozeError && err.code === 'cancelled');
    assert.equal(e.runs, runs);
  });

  it('targets: the pieces a word has when written at the mask; the vocabulary spelling picks that piece', async () => {
    const e = engines.default;
    const at = { start: STATE.indexOf('[MASK]'), end: STATE.indexOf('[MASK]') + 6 };
    const t = await e.targetPieces(STATE, at, ['useState', 'set', '\u0120set']);
    assert.deepEqual(t.map((x) => x.ids.map((id) => e.tokenizer.piece(id))), [['\u0120use', 'State'], ['\u0120set'], ['\u0120set']]);
    // "foo" + "d" + "bar" is not foo | d | bar to the tokenizer: reported, not replaced by some other piece.
    await assert.rejects(e.targetPieces('x = foo[MASK]bar;', { start: 7, end: 13 }, ['d']), /merges with the text around the mask/);
    const glued = await e.targetPieces('x = set[MASK];', { start: 7, end: 13 }, ['State']);
    assert.deepEqual(glued[0].ids.map((id) => e.tokenizer.piece(id)), ['State']);
  });
});
