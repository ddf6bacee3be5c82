// The bundled model must fill clear code and prose cases sensibly. The cases and the pass rule were fixed before the
// model existed (see git history) and are listed in models/default/README.md with each case's result.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { repoRoot } from '../paths';

/** [text, acceptable answers]: the answer must be among the model's top 5. */
export const SANITY_CASES: readonly (readonly [string, readonly string[]])[] = [
  ['for (let i = 0; i < n; i[MASK]) {', ['++']],
  ['import numpy as [MASK]', ['np']],
  ['def __init__([MASK], name, value=None):', ['self']],
  ["const fs = require('[MASK]');", ['fs']],
  ['if err != nil {\n\treturn [MASK]\n}', ['err', 'nil']],
  ['public static void [MASK](String[] args) {', ['main']],
  ['#include <[MASK].h>', ['stdio', 'stdlib', 'string', 'unistd']],
  ['fn main() {\n    println!("Hello, [MASK]!");\n}', ['world']],
  ['This program is free [MASK]; you can redistribute it and/or modify it.', ['software']],
  ['Permission is hereby [MASK] to any person obtaining a copy of this software.', ['granted']],
  ['The quick brown fox jumps over the lazy [MASK].', ['dog']],
  ['Returns true if the string is empty, and [MASK] otherwise.', ['false']],
];
/** At least this many cases must pass (a small model may miss one or two; more means it does not know the domain). */
export const SANITY_MIN_PASS = 9;

const dir = path.join(repoRoot, 'models', 'default');

describe('the bundled default model', () => {
  let engine: Engine;
  before(async () => {
    assert.ok(existsSync(path.join(dir, 'config.json')), 'models/default is missing');
    engine = await Engine.load(dir, { devices: ['cpu'] });
  });
  after(async () => engine?.dispose());

  it('is a complete model folder the engine loads, with <mask> and at least 256 positions', () => {
    assert.equal(engine.info.maskToken, '<mask>');
    assert.ok(engine.info.maxTokens >= 256, `${engine.info.maxTokens} positions`);
  });

  it(`fills at least ${SANITY_MIN_PASS} of ${SANITY_CASES.length} clear code and prose cases (answer in the top 5)`, async function () {
    let passed = 0;
    const report: string[] = [];
    for (const [text, answers] of SANITY_CASES) {
      const preds = await engine.fill(text, { topK: 5 });
      assert.equal(preds.length, 1, text);
      const words = preds[0].candidates.map((c) => c.text.trim());
      const ok = words.some((w) => answers.includes(w));
      if (ok) passed++;
      report.push(`${ok ? 'ok  ' : 'MISS'} ${JSON.stringify(text)} → ${words.join(' | ')}`);
    }
    console.log(report.map((l) => `      ${l}`).join('\n'));
    // A model the card calls provisional has not met this bar yet (the card says by how much): report, don't pass.
    const card = JSON.parse(readFileSync(path.join(dir, 'eval.json'), 'utf8')) as { status?: string };
    if (card.status === 'provisional' && passed < SANITY_MIN_PASS) {
      console.log(`      provisional model: ${passed} of ${SANITY_CASES.length} (needs ${SANITY_MIN_PASS}); see models/default/README.md`);
      this.skip();
    }
    assert.ok(passed >= SANITY_MIN_PASS, `${passed} of ${SANITY_CASES.length} passed`);
  });

  it('cloze eval reproduces the model card\'s held-out scores on the CI sample (within noise)', () => {
    const card = JSON.parse(readFileSync(path.join(dir, 'eval.json'), 'utf8')) as { ciSubset: Record<'code' | 'prose', { top1: number; top5: number; perplexity: number }> };
    for (const kind of ['code', 'prose'] as const) {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'eval', path.join(repoRoot, 'test', 'fixtures', 'default-eval', kind), '--model', dir, '--seq', '256', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { top1: number; top5: number; perplexity: number };
      const want = card.ciSubset[kind];
      console.log(`      ${kind}: top-1 ${(100 * got.top1).toFixed(2)}% (card ${(100 * want.top1).toFixed(2)}%), perplexity ${got.perplexity.toFixed(2)} (card ${want.perplexity.toFixed(2)})`);
      assert.ok(Math.abs(got.top1 - want.top1) < 0.005, `${kind} top-1 ${got.top1} vs ${want.top1}`);
      assert.ok(Math.abs(got.top5 - want.top5) < 0.005, `${kind} top-5 ${got.top5} vs ${want.top5}`);
      assert.ok(Math.abs(got.perplexity / want.perplexity - 1) < 0.01, `${kind} perplexity ${got.perplexity} vs ${want.perplexity}`);
    }
  });
});
