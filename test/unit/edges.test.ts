// Candidates fitted to the text around the mask (src/core/edges.ts): no piece continues a word across a space the user
// typed, and pieces that run past the mask's right edge are inserted without the text that follows the mask.
import assert from 'node:assert/strict';
import { placed, type Candidate } from '../../src/core/candidate';
import { fitCandidates, fitWords, healRightEdge } from '../../src/core/edges';

const MASK = '[MASK]';

/** Candidates as the engine places them at the first mask of `text`. */
function at(text: string, list: [string, number, boolean?][]): { span: { start: number; end: number }; cands: Candidate[] } {
  const start = text.indexOf(MASK);
  const span = { start, end: start + MASK.length };
  return { span, cands: list.map(([t, score, attach], id) => placed(text, span, { id, token: t, text: t, attach: attach ?? false, score })) };
}

function insertAll(text: string, span: { start: number; end: number }, cands: Candidate[]): string[] {
  return cands.map((c) => text.slice(0, c.joinLeft ? span.start - 1 : span.start) + c.insert + text.slice(span.end));
}

describe('fitting candidates to the text around the mask', () => {
  it('drops the punctuation the text after the mask already has, and merges what then reads the same', () => {
    const text = 'for (let i = 0; i < n; i[MASK]) {';
    const { span, cands } = at(text, [['++)', 0.5, true], ['++', 0.2, true], ['--)', 0.1, true], [')', 0.05, true], ['<', 0.02, false], ['++', 0.01, false]]);
    const healed = healRightEdge(text, span, cands);
    assert.deepEqual(healed.map((c) => [c.text, c.token]), [['++', '++)'], ['--', '--)'], ['<', '<']]);
    assert.ok(Math.abs(healed[0].score - 0.71) < 1e-12, 'three pieces put `++` in the document: their probabilities add');
    assert.deepEqual(insertAll(text, span, healed), ['for (let i = 0; i < n; i++) {', 'for (let i = 0; i < n; i--) {', 'for (let i = 0; i < n; i<) {']);
  });

  it('keeps the longest overlap, and only punctuation: words and spaces are never cut', () => {
    const text = 'print("Hello, [MASK]!")';
    const { span, cands } = at(text, [['world!")', 0.3], ['!', 0.3, true], ['there!', 0.1], ['world', 0.1]]);
    const healed = healRightEdge(text, span, cands);
    assert.deepEqual(healed.map((c) => c.text), ['world', 'there']);
    assert.deepEqual(insertAll(text, span, healed), ['print("Hello, world!")', 'print("Hello, there!")']);
    assert.ok(Math.abs(healed[0].score - 0.4) < 1e-12);
    const words = at('x = [MASK]value', [['new', 0.5], ['the', 0.2]]);
    assert.deepEqual(healRightEdge('x = [MASK]value', words.span, words.cands).map((c) => c.text), ['new', 'the']);
  });

  it('changes nothing when the text after the mask does not repeat the candidate’s end', () => {
    const text = 'The quick brown fox jumps over the lazy [MASK].';
    const { span, cands } = at(text, [['dog', 0.4], ['cat,', 0.1], ['one', 0.05]]);
    assert.deepEqual(healRightEdge(text, span, cands), cands);
  });

  it('leaves whole words (several pieces) as the beam search spelled them', () => {
    const text = 'call [MASK]);';
    const start = text.indexOf(MASK);
    const span = { start, end: start + MASK.length };
    const word = placed(text, span, { id: 7, token: 'Ġfoo )', text: 'foo)', attach: false, score: 0.5, pieces: [7, 9] });
    assert.deepEqual(healRightEdge(text, span, [word]), [word]);
  });

  it('after a space the user typed, a piece that would continue the word before it is not offered; punctuation is', () => {
    const text = 'Run npm [MASK] to install the dependencies.';
    const { span, cands } = at(text, [['spec', 0.3, true], ['.', 0.2, true], ['install', 0.1], ['m', 0.05, true]]);
    const fitted = fitCandidates(text, span, cands);
    assert.deepEqual(fitted.map((c) => c.text), ['.', 'install']);
    assert.deepEqual(insertAll(text, span, fitted), ['Run npm. to install the dependencies.', 'Run npm install to install the dependencies.']);
    // Typed against the word, the continuation is what the user asks for.
    const glued = at('Run npm[MASK] to install', [['spec', 0.3, true], ['install', 0.1]]);
    assert.deepEqual(fitCandidates('Run npm[MASK] to install', glued.span, glued.cands).map((c) => c.text), ['spec', 'install']);
    // At the start of a line, nothing joins the line above.
    const line = at('first line\n[MASK] second', [['ing', 0.4, true], ['The', 0.2]]);
    assert.deepEqual(fitCandidates('first line\n[MASK] second', line.span, line.cands).map((c) => c.text), ['The']);
  });

  it('whole words: fitted the same way, and the shares are those of the candidates left', () => {
    const text = 'All rights [MASK].';
    const start = text.indexOf(MASK);
    const span = { start, end: start + MASK.length };
    const words = [
      placed(text, span, { id: 1, token: 'ology', text: 'ology', attach: true, score: 0.3 }),
      placed(text, span, { id: 2, token: '.', text: '.', attach: true, score: 0.2 }),
      placed(text, span, { id: 3, token: 'Ġreserved', text: 'reserved', attach: false, score: 0.4 }),
      placed(text, span, { id: 4, token: 'ĠRes erved', text: 'Reserved', attach: false, score: 0.1, pieces: [5, 6] }),
    ];
    const fitted = fitWords(text, span, words);
    assert.deepEqual(fitted.map((c) => c.text), ['reserved', 'Reserved']);
    assert.deepEqual(fitted.map((c) => Math.round(c.score * 1e9) / 1e9), [0.8, 0.2]);
  });
});
