// The train graph's update equals torch.optim.AdamW after clip_grad_norm_, computed here in float64 from the
// gradients of the same loss (GradientProbe), over several steps with and without clipping.
import assert from 'node:assert/strict';
import { Batch } from '../../src/train/batch';
import { BertConfig, Params, initParams, paramShapes } from '../../src/train/model';
import { GradientProbe, StepHyper, TrainStep, createOptimizerState } from '../../src/train/step';
import { realTextBatches, seeded } from './helpers';

const cfg: BertConfig = {
  vocabSize: 6000, hidden: 32, layers: 1, heads: 2, intermediate: 64, maxPositions: 32, typeVocabSize: 2,
  layerNormEps: 1e-12, positionOffset: 0, padTokenId: 0, initRange: 0.05, modelType: 'bert',
};
const shape = { batch: 2, seq: 16, maxMasked: 8 };

/** One reference AdamW step (torch semantics; decay on matrices only), in float64, updating the given maps. */
function referenceStep(p: Map<string, Float64Array>, m: Map<string, Float64Array>, v: Map<string, Float64Array>, grads: Map<string, Float64Array>, t: number, lr: number, h: StepHyper): number {
  let sq = 0;
  for (const g of grads.values()) for (const x of g) sq += x * x;
  const norm = Math.sqrt(sq);
  const clip = h.clipNorm > 0 ? Math.min(1, h.clipNorm / (norm + 1e-6)) : 1;
  const bc1 = 1 - h.beta1 ** t;
  const bc2 = 1 - h.beta2 ** t;
  for (const [name, shp] of paramShapes(cfg)) {
    const [pp, mm, vv, gg] = [p.get(name)!, m.get(name)!, v.get(name)!, grads.get(name)!];
    const decay = shp.length >= 2 ? 1 - lr * h.weightDecay : 1;
    for (let i = 0; i < pp.length; i++) {
      const g = gg[i] * clip;
      mm[i] = h.beta1 * mm[i] + (1 - h.beta1) * g;
      vv[i] = h.beta2 * vv[i] + (1 - h.beta2) * g * g;
      pp[i] = pp[i] * decay - (lr / bc1) * (mm[i] / (Math.sqrt(vv[i]) / Math.sqrt(bc2) + h.eps));
    }
  }
  return norm;
}

const to64 = (p: Params) => new Map([...p].map(([k, x]) => [k, Float64Array.from(x)]));

describe('AdamW and gradient clipping in the train graph', function () {
  this.timeout(120_000);
  let batches: Batch[];
  before(async () => {
    batches = await realTextBatches('bert-tiny-wordpiece', shape, 3, 21);
  });

  for (const clipNorm of [0, 0.05]) {
    it(`matches torch.optim.AdamW ${clipNorm ? `after clipping to ${clipNorm}` : 'without clipping'} over 3 steps`, async () => {
      const hyper: StepHyper = { weightDecay: 0.1, beta1: 0.9, beta2: 0.98, eps: 1e-6, clipNorm };
      const lrs = [1e-3, 2e-3, 1.5e-3];
      const step = await TrainStep.create(cfg, { ...shape, stepsPerCall: 3 }, hyper, { threads: 1 });
      const probe = await GradientProbe.create(cfg, shape, 'float32', { threads: 1 });
      const params = initParams(cfg, seeded(4));
      const ref = { p: to64(params), m: to64(createOptimizerState(cfg).m), v: to64(createOptimizerState(cfg).v) };
      const refNorms: number[] = [];
      for (let i = 0; i < 3; i++) {
        // Gradients at the reference's current params (float32 in the graph, as in the train step).
        const { grads } = await probe.run(ref.p, batches[i]);
        refNorms.push(referenceStep(ref.p, ref.m, ref.v, grads, i + 1, lrs[i], hyper));
      }
      const opt = createOptimizerState(cfg);
      const out = await step.run(params, opt, batches, lrs);
      out.gradNorms.forEach((g, i) => assert.ok(Math.abs(g - refNorms[i]) <= 1e-4 * refNorms[i], `grad norm ${g} vs ${refNorms[i]}`));
      if (clipNorm) assert.ok(refNorms.every((n) => n > clipNorm), 'clipping was active');
      let worst = 0;
      for (const [name, p] of params) {
        const r = ref.p.get(name)!;
        // Each step moves a weight by about lr; compare the change against that scale.
        for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - r[i]) / 1e-3);
      }
      console.log(`      max parameter difference: ${worst.toExponential(2)} × 1e-3`);
      assert.ok(worst < 1e-3, `params differ from the reference by ${worst} × lr`);
      await step.release();
      await probe.release();
    });
  }
});
