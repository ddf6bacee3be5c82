// Training on real source files lowers held-out loss, from a shared fixture and from scratch, and the exported model works in the engine.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { resolveModelDir } from '../../src/core/modelPointer';
import { collectCorpus } from '../../src/train/corpus';
import { splitFiles } from '../../src/train/split';
import { LOG_FILE, SUMMARY_FILE, train, type TrainProgress, type TrainResult } from '../../src/train/trainer';
import { fixture, repoRoot } from '../paths';
import { runCli } from './cli-commands.test';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');

describe('trainer on real source files', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-trainer-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('continues bert-tiny-wordpiece: held-out loss falls, progress is reported, and the export fills masks in the engine', async () => {
    const out = path.join(tmp, 'bert');
    const progress: TrainProgress[] = [];
    const r: TrainResult = await train({
      inputs: [sourceDir], from: fixture('bert-tiny-wordpiece'), outDir: out, steps: 60, batch: 8, seq: 64, stepsPerCall: 4,
      threads: 2, onProgress: (p) => progress.push(p),
    });
    assert.equal(r.stopped, 'done');
    assert.equal(r.step, 60);
    assert.ok(r.before && r.after);
    console.log(`      held-out loss ${r.before.loss.toFixed(3)} → ${r.after.loss.toFixed(3)}, top-1 ${(100 * r.before.top1).toFixed(1)}% → ${(100 * r.after.top1).toFixed(1)}% (${r.after.maskedTokens} masked tokens)`);
    assert.ok(r.after.loss < r.before.loss - 0.1, `held-out loss ${r.before.loss} → ${r.after.loss}`);
    assert.equal(r.after.maskedTokens, r.before.maskedTokens, 'before and after score the same targets');

    assert.deepEqual(progress.map((p) => p.step), Array.from({ length: 15 }, (_, i) => 4 * (i + 1)));
    for (const p of progress) {
      assert.equal(p.totalSteps, 60);
      assert.ok(Number.isFinite(p.loss) && p.tokensPerSec > 0 && p.etaSec >= 0 && p.lr > 0);
    }
    assert.equal(progress[progress.length - 1].etaSec, 0);
    const log = readFileSync(path.join(out, LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string });
    assert.deepEqual(log.filter((l) => l.type === 'eval').map((l) => l.phase), ['before', 'after']);
    assert.equal(log.filter((l) => l.type === 'progress').length, 15);
    assert.equal((JSON.parse(readFileSync(path.join(out, SUMMARY_FILE), 'utf8')) as { step: number }).step, 60);

    // The exported folder is a model the product loads: the engine fills a mask from it.
    assert.ok(r.modelDir && existsSync(path.join(await resolveModelDir(r.modelDir), 'config.json')));
    const engine = await Engine.load(r.modelDir, { devices: ['cpu'] });
    try {
      const [pred] = await engine.fill('const semver = [MASK](\'semver\');', { topK: 5 });
      assert.equal(pred.candidates.length, 5);
      assert.ok(pred.candidates.every((c) => c.score > 0 && c.score <= 1));
      console.log(`      fill "const semver = [MASK]('semver')": ${pred.candidates.map((c) => `${c.text} ${c.score.toFixed(2)}`).join(', ')}`);
    } finally {
      await engine.dispose();
    }

    // `cloze eval` on the held-out files: the trained export beats the model it started from.
    const files = (await collectCorpus([sourceDir])).files;
    const heldOut = splitFiles(files, { heldOutFraction: 0.1 }).heldOut.map((f) => f.path);
    const base = JSON.parse((await runCli('eval', [...heldOut, '--model', fixture('bert-tiny-wordpiece'), '--json', '--seq', '64'])).stdout) as { perplexity: number };
    const trained = JSON.parse((await runCli('eval', [...heldOut, '--model', r.modelDir, '--json', '--seq', '64'])).stdout) as { perplexity: number };
    console.log(`      cloze eval on held-out files: perplexity ${base.perplexity.toFixed(2)} (fixture) → ${trained.perplexity.toFixed(2)} (trained)`);
    assert.ok(trained.perplexity < base.perplexity);
  });

  it('trains a new RoBERTa-style model from scratch with the roberta-tiny-bpe tokenizer', async () => {
    const out = path.join(tmp, 'scratch');
    const r = await train({
      inputs: [sourceDir], tokenizer: fixture('roberta-tiny-bpe'), outDir: out, steps: 80, batch: 8, seq: 64, stepsPerCall: 8,
      scratch: { layers: 2, hidden: 64, heads: 2, intermediate: 256 }, threads: 2,
    });
    assert.ok(r.before && r.after);
    console.log(`      from scratch: held-out loss ${r.before.loss.toFixed(3)} → ${r.after.loss.toFixed(3)}, top-1 ${(100 * r.before.top1).toFixed(1)}% → ${(100 * r.after.top1).toFixed(1)}%`);
    assert.ok(r.before.loss > 7, 'a random model starts near ln(vocab)');
    assert.ok(r.after.loss < r.before.loss - 1, `held-out loss ${r.before.loss} → ${r.after.loss}`);
    const cfg = JSON.parse(readFileSync(path.join(await resolveModelDir(r.modelDir!), 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg.model_type, 'roberta');
    assert.equal(cfg.hidden_size, 64);
    assert.equal(cfg.vocab_size, 5000);
    const engine = await Engine.load(r.modelDir!, { devices: ['cpu'] });
    try {
      const [pred] = await engine.fill('module.exports = <mask>;', { topK: 3 });
      assert.equal(pred.candidates.length, 3);
    } finally {
      await engine.dispose();
    }
  });
});
