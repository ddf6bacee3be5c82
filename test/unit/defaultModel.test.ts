// The bundled model must fill clear code and prose cases sensibly. The cases and the pass rules were fixed before the
// model they judge existed (see git history: the first 12 before v1, the second 12 and the v2 bar before v2) and are
// listed in models/default/README.md with each case's result.
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

/**
 * The second set, added for v2 (issue 10) before any v2 model existed: three cases each of identifiers, API names,
 * doc-comment words and everyday English. Same rule per case: an acceptable answer among the top 5.
 */
export const SANITY_CASES_V2: readonly (readonly ['identifier' | 'api' | 'doc' | 'english', string, readonly string[]])[] = [
  ['identifier', 'for (const [key, [MASK]] of Object.entries(obj)) {', ['value', 'val', 'v']],
  ['identifier', 'try:\n    run()\nexcept Exception as [MASK]:\n    print(e)', ['e']],
  ['identifier', 'def __init__(self, name):\n    self.name = [MASK]', ['name']],
  ['api', "console.[MASK]('Server listening on port ' + port);", ['log']],
  ['api', 'const data = JSON.[MASK](text);', ['parse']],
  ['api', "with [MASK](path, 'r') as f:\n    data = f.read()", ['open']],
  ['doc', '/**\n * Adds two numbers.\n * @param a The first number.\n * @param b The second number.\n * @[MASK] The sum of a and b.\n */', ['returns', 'return']],
  ['doc', 'This method is [MASK] and will be removed in a future release; use the new API instead.', ['deprecated']],
  ['doc', 'Returns the number of [MASK] in the list.', ['elements', 'items', 'entries', 'values']],
  ['english', 'I would like a cup of [MASK], please.', ['tea', 'coffee', 'water']],
  ['english', 'The sun rises in the [MASK] and sets in the west.', ['east']],
  ['english', 'She opened the [MASK] and walked into the room.', ['door']],
];

/**
 * The v2 bar (issue 10), fixed before v2 was trained: at least 11 of the original 12, and at least 9 of the new 12
 * with at least 2 of the 3 in every group (a model that knows code but no everyday English does not pass).
 */
export const V2_MIN_PASS_ORIGINAL = 11;
export const V2_MIN_PASS_NEW = 9;
export const V2_MIN_PASS_PER_GROUP = 2;
/** eval.json's `version` (absent before v2: the v1 model's files predate the field). */
export const V2_VERSION = 2;

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

  /** Whether an acceptable answer is among the top 5, with a printable line. */
  async function judge(text: string, answers: readonly string[]): Promise<{ ok: boolean; line: string }> {
    const preds = await engine.fill(text, { topK: 5 });
    assert.equal(preds.length, 1, text);
    const words = preds[0].candidates.map((c) => c.text.trim());
    const ok = words.some((w) => answers.includes(w));
    return { ok, line: `${ok ? 'ok  ' : 'MISS'} ${JSON.stringify(text)} → ${words.join(' | ')}` };
  }

  it(`fills at least ${SANITY_MIN_PASS} of ${SANITY_CASES.length} clear code and prose cases (answer in the top 5)`, async function () {
    let passed = 0;
    const report: string[] = [];
    for (const [text, answers] of SANITY_CASES) {
      const { ok, line } = await judge(text, answers);
      if (ok) passed++;
      report.push(line);
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

  it(`meets the v2 bar: ${V2_MIN_PASS_ORIGINAL} of the original ${SANITY_CASES.length}, ${V2_MIN_PASS_NEW} of the new ${SANITY_CASES_V2.length} with ${V2_MIN_PASS_PER_GROUP} of 3 per group`, async function () {
    let original = 0;
    for (const [text, answers] of SANITY_CASES) if ((await judge(text, answers)).ok) original++;
    const perGroup = new Map<string, number>();
    let fresh = 0;
    const report: string[] = [];
    for (const [group, text, answers] of SANITY_CASES_V2) {
      const { ok, line } = await judge(text, answers);
      perGroup.set(group, (perGroup.get(group) ?? 0) + (ok ? 1 : 0));
      if (ok) fresh++;
      report.push(`${group.padEnd(10)} ${line}`);
    }
    console.log(report.map((l) => `      ${l}`).join('\n'));
    const groups = [...perGroup].map(([g, n]) => `${g} ${n}/3`).join(', ');
    console.log(`      original ${original} of ${SANITY_CASES.length}, new ${fresh} of ${SANITY_CASES_V2.length} (${groups})`);
    // The v2 bar judges v2 models. The v1 model (eval.json without a version, or below 2) was never meant to meet
    // it: the result above is reported, and the test is skipped, not passed. A provisional v2 that misses it is
    // likewise reported and skipped (the card says by how much); a released v2 must meet it.
    const card = JSON.parse(readFileSync(path.join(dir, 'eval.json'), 'utf8')) as { status?: string; version?: number };
    const version = card.version ?? 1;
    const met = original >= V2_MIN_PASS_ORIGINAL && fresh >= V2_MIN_PASS_NEW && [...perGroup.values()].every((n) => n >= V2_MIN_PASS_PER_GROUP);
    if (version < V2_VERSION) {
      console.log(`      models/default is version ${version}: the v2 bar applies from version ${V2_VERSION} (${met ? 'met anyway' : 'not met'})`);
      this.skip();
    }
    if (card.status === 'provisional' && !met) {
      console.log('      provisional v2 model: the v2 bar is not met yet; see models/default/README.md');
      this.skip();
    }
    assert.ok(original >= V2_MIN_PASS_ORIGINAL, `original cases: ${original} of ${SANITY_CASES.length} (needs ${V2_MIN_PASS_ORIGINAL})`);
    assert.ok(fresh >= V2_MIN_PASS_NEW, `new cases: ${fresh} of ${SANITY_CASES_V2.length} (needs ${V2_MIN_PASS_NEW})`);
    for (const [g, n] of perGroup) assert.ok(n >= V2_MIN_PASS_PER_GROUP, `group ${g}: ${n} of 3 (needs ${V2_MIN_PASS_PER_GROUP})`);
  });

  it('cloze eval reproduces the model card\'s held-out scores on the CI sample (within noise)', () => {
    const card = JSON.parse(readFileSync(path.join(dir, 'eval.json'), 'utf8')) as { ciSubset: Record<string, { top1: number; top5: number; perplexity: number }> };
    // Every slice the card has a CI sample of (code and prose; general English from v2 on).
    const kinds = Object.keys(card.ciSubset);
    assert.ok(kinds.includes('code') && kinds.includes('prose'), `CI sample slices: ${kinds.join(', ')}`);
    for (const kind of kinds) {
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
