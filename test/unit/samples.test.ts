// The sample workspace's first lines, and the README's first example, are ones the bundled model answers well: a
// newcomer's first try should work. The expected words are the sentences' right answers, not the model's outputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fitCandidates, fitWords } from '../../src/core/edges';
import { Engine } from '../../src/core/engine';
import { repoRoot } from '../paths';

/** The right answers for each line of samples/workspace/sentences.txt above its "Harder" line. */
const ANSWERS: Record<string, readonly string[]> = {
  "console.[MASK]('Server listening on port ' + port);": ['log', 'info'],
  'Copyright (c) 2024 The Authors. All rights [MASK].': ['reserved'],
  'Licensed under the Apache [MASK], Version 2.0.': ['License', 'license'],
  'print("Hello, [MASK]!")': ['world', 'World'],
  "throw new [MASK]('invalid argument');": ['Error', 'TypeError', 'RangeError'],
  'for (let i = 0; i < n; i[MASK]) {}': ['++'],
};

describe('the sample workspace and the README', () => {
  let engine: Engine;
  before(async () => { engine = await Engine.load(path.join(repoRoot, 'models', 'default'), { devices: ['cpu'] }); });
  after(async () => engine?.dispose());

  const sentences = readFileSync(path.join(repoRoot, 'samples', 'workspace', 'sentences.txt'), 'utf8').split('\n');
  const easy = sentences.slice(0, sentences.findIndex((l) => l.startsWith('Harder'))).filter((l) => l.includes('[MASK]'));

  it('every line before "Harder" has its right answer listed here', () => {
    assert.ok(easy.length >= 5, `${easy.length} easy lines`);
    assert.deepEqual(easy.filter((l) => !(l in ANSWERS)), []);
  });

  it("the bundled model's best fill, as the editor offers it, is the right answer on each of those lines", async () => {
    const report: string[] = [];
    for (const line of easy) {
      const [p] = await engine.fill(line, { topK: 12 });
      const words = fitCandidates(line, p.span, p.candidates).slice(0, 3).map((c) => c.text.trim());
      report.push(`${JSON.stringify(line)} → ${words.join(' | ')}`);
      assert.ok(ANSWERS[line].includes(words[0]), report.join('\n'));
    }
    console.log(report.map((l) => `      ${l}`).join('\n'));
  });

  it("with the editor's default whole words (cloze.maxPieces), the best fill is still the right answer on each line", async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
    const maxPieces = Number(pkg.contributes.configuration.properties['cloze.maxPieces'].default);
    assert.ok(maxPieces > 1, `the editor's default is one piece (${maxPieces}): the test above covers it`);
    const report: string[] = [];
    for (const line of easy) {
      const p = (await engine.fillAt(line, line.indexOf('[MASK]'), { topK: 8, maxPieces }))!;
      const words = fitWords(line, p.span, p.candidates).slice(0, 3).map((c) => `${c.text.trim()} ${(100 * c.score).toFixed(0)}%`);
      report.push(`${JSON.stringify(line)} → ${words.join(' | ')}`);
      assert.ok(ANSWERS[line].includes(words[0].replace(/ \d+%$/, '')), report.join('\n'));
    }
    console.log(report.map((l) => `      ${l}`).join('\n'));
  });

  it("the README's first example is one of them", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const first = /type `([^`]*\[MASK\][^`]*)`/.exec(readme)?.[1];
    assert.ok(first, 'the README shows no example to type');
    assert.ok(first in ANSWERS, `the README's first example ${JSON.stringify(first)} is not a sample line answered well`);
  });
});
