// Informed masking (`cloze train --masking surprisal`): the same target rate, more targets where the model is surprised, exact resume.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFramingTokenizer } from '../../src/core/tokenizer';
import { IGNORE_LABEL } from '../../src/train/batch';
import { loadCheckpoint } from '../../src/train/checkpoint';
import { MaskingCollator, defaultMaxMasked } from '../../src/train/collator';
import { collectCorpus } from '../../src/train/corpus';
import { importModel } from '../../src/train/import';
import { packDocuments } from '../../src/train/packer';
import { Rng } from '../../src/train/rng';
import { DEFAULT_HYPER, TrainStep, createOptimizerState } from '../../src/train/step';
import { SurprisalTable } from '../../src/train/surprisalTable';
import { CHECKPOINT_FILE, train, type TrainOptions } from '../../src/train/trainer';
import { fixture, repoRoot } from '../paths';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');

describe('informed masking', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-informed-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('keeps the 15% rate and 80/10/10 while choosing heavier tokens proportionally more often', async () => {
    const tok = await loadFramingTokenizer(fixture('bert-tiny-wordpiece'));
    const data = await packDocuments(tok, (await collectCorpus([path.join(sourceDir, 'semver')])).files.map((f) => f.text), 64);
    // Even ids weigh 4, odd ids 1: even tokens should be targets four times as often, per occurrence.
    const base = { batch: 8, seq: 64, maxMasked: defaultMaxMasked(8, 64), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds };
    const weighted = new MaskingCollator({ ...base, weightOf: (id) => (id % 2 === 0 ? 4 : 1) });
    const rng = Rng.fromSeed(11);
    const seen = [0, 0];
    const chosen = [0, 0];
    let maskable = 0, selected = 0, masked = 0, randomized = 0, kept = 0;
    const special = new Set(tok.specialIds.concat(tok.maskId));
    for (let start = 0; start + 8 <= Math.min(data.count, 400); start += 8) {
      const rows = Array.from({ length: 8 }, (_, i) => start + i);
      const { batch, detail } = weighted.collateWithDetail(data, rows, rng);
      for (const r of rows) {
        for (let s = 0; s < data.lengths[r]; s++) {
          const id = data.ids[r * 64 + s];
          if (special.has(id)) continue;
          maskable++;
          seen[id % 2]++;
        }
      }
      for (let i = 0; i < batch.labels.length; i++) if (batch.labels[i] !== IGNORE_LABEL) chosen[Number(batch.labels[i]) % 2]++;
      selected += detail.selected;
      masked += detail.masked;
      randomized += detail.randomized;
      kept += detail.kept;
      assert.equal(detail.dropped, 0);
    }
    const rate = selected / maskable;
    assert.ok(Math.abs(rate - 0.15) < 0.01, `target rate ${rate}`);
    const ratio = chosen[0] / seen[0] / (chosen[1] / seen[1]);
    assert.ok(ratio > 3.3 && ratio < 4.8, `even tokens chosen ${ratio.toFixed(2)}× as often per occurrence (weights 4 : 1)`);
    assert.ok(Math.abs(masked / selected - 0.8) < 0.03 && Math.abs(randomized / selected - 0.1) < 0.03 && Math.abs(kept / selected - 0.1) < 0.03,
      `80/10/10: ${masked} / ${randomized} / ${kept}`);
  });

  it('the table follows each id’s recent losses, treats unseen ids as average, and round-trips through its state', () => {
    const t = new SurprisalTable(10);
    assert.equal(t.weight(3), 1, 'before any observation every id weighs the same');
    t.observe(BigInt64Array.of(1n, 2n, -100n), Float32Array.of(8, 2, 99));
    assert.equal(t.nats(1), 8);
    assert.equal(t.nats(2), 2);
    assert.equal(t.nats(5), 5, 'an unseen id counts as the running mean (ignored labels are not observed)');
    assert.ok(t.weight(1) > t.weight(5) && t.weight(5) > t.weight(2));
    for (let i = 0; i < 60; i++) t.observe(BigInt64Array.of(1n), Float32Array.of(1));
    assert.ok(t.nats(1) < 1.02, `the average moves to the recent losses (${t.nats(1)})`);
    const back = new SurprisalTable(10, JSON.parse(JSON.stringify(t.state())));
    for (let id = 0; id < 10; id++) assert.equal(back.weight(id), t.weight(id));
  });

  it('the train step’s per-target losses average to the step loss', async () => {
    const tok = await loadFramingTokenizer(fixture('roberta-tiny-bpe'));
    const { config, params } = await importModel(fixture('roberta-tiny-bpe'));
    const data = await packDocuments(tok, (await collectCorpus([path.join(sourceDir, 'semver')])).files.map((f) => f.text), 64);
    const maxMasked = defaultMaxMasked(4, 64);
    const collator = new MaskingCollator({ batch: 4, seq: 64, maxMasked, vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds });
    const rng = Rng.fromSeed(2);
    const batches = [0, 4].map((s) => collator.collate(data, [s, s + 1, s + 2, s + 3], rng));
    const step = await TrainStep.create(config, { batch: 4, seq: 64, maxMasked, stepsPerCall: 2 }, DEFAULT_HYPER, { threads: 1, targetLosses: true });
    try {
      const { losses, targetLosses } = await step.run(params, createOptimizerState(config), batches, [1e-3, 1e-3]);
      assert.ok(targetLosses && targetLosses.length === 2);
      batches.forEach((b, i) => {
        let sum = 0, n = 0;
        b.labels.forEach((l, j) => {
          if (l === IGNORE_LABEL) return;
          assert.ok(targetLosses[i][j] > 0, 'a target’s loss is positive');
          sum += targetLosses[i][j];
          n++;
        });
        assert.ok(Math.abs(sum / n - losses[i]) < 1e-4, `step ${i}: mean per-target ${sum / n} vs loss ${losses[i]}`);
      });
    } finally {
      await step.release();
    }
  });

  it('a surprisal-masked run checkpoints its table and resumes exactly', async () => {
    const common = (outDir: string): TrainOptions => ({
      inputs: [path.join(sourceDir, 'semver')], from: fixture('roberta-tiny-bpe'), outDir, steps: 24, stepsPerCall: 4, batch: 4, seq: 64, threads: 1, seed: 9,
      masking: 'surprisal',
    });
    const whole = await train(common(path.join(tmp, 'whole')));
    const uniform = await train({ ...common(path.join(tmp, 'uniform')), masking: 'uniform' });
    assert.deepEqual(whole.before, uniform.before, 'held-out batches are masked uniformly under both policies');
    const controller = new AbortController();
    const cut = path.join(tmp, 'cut');
    await train({ ...common(cut), signal: controller.signal, onProgress: (p) => p.step >= 12 && controller.abort() });
    const mid = await loadCheckpoint(path.join(cut, CHECKPOINT_FILE));
    const state = mid.extra?.surprisal as { count: number } | undefined;
    assert.ok(state && state.count > 0, 'the checkpoint holds the table');
    const rest = await train({ inputs: [], outDir: cut, resume: true });
    assert.equal(rest.step, 24);
    assert.deepEqual(rest.after, whole.after);
    const [a, b] = [await loadCheckpoint(path.join(tmp, 'whole', CHECKPOINT_FILE)), await loadCheckpoint(path.join(cut, CHECKPOINT_FILE))];
    for (const [name, x] of a.params) assert.ok(Buffer.from(x.buffer).equals(Buffer.from(b.params.get(name)!.buffer)), `parameter ${name}`);
    assert.notDeepEqual(whole.after, uniform.after, 'the policy changes which targets are trained on');
  });
});
