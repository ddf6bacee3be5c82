// The autodiff gradients of the masked-LM loss against central finite differences, for every parameter tensor.
import assert from 'node:assert/strict';
import { Batch } from '../../src/train/batch';
import { BertConfig, initParams, paramShapes } from '../../src/train/model';
import { GradientProbe } from '../../src/train/step';
import { seeded } from './helpers';

const tinyBert: BertConfig = {
  vocabSize: 23, hidden: 8, layers: 2, heads: 2, intermediate: 12, maxPositions: 10, typeVocabSize: 2,
  layerNormEps: 1e-12, positionOffset: 0, padTokenId: 0, initRange: 0.3, modelType: 'bert',
};
const tinyRoberta: BertConfig = { ...tinyBert, typeVocabSize: 1, layerNormEps: 1e-5, positionOffset: 2, padTokenId: 1, maxPositions: 12, modelType: 'roberta' };

const shape = { batch: 2, seq: 6, maxMasked: 5 };

/** Two sequences, the second padded; four labelled slots (one position twice) and one unused slot. */
function batchFor(cfg: BertConfig): Batch {
  const pad = BigInt(cfg.padTokenId);
  const ids = [5n, 9n, 3n, 17n, 4n, 11n, 7n, 2n, 21n, 6n, pad, pad];
  return {
    ...shape,
    inputIds: BigInt64Array.from(ids),
    attentionMask: BigInt64Array.from(ids.map((v, i) => (i >= 10 ? 0n : 1n))),
    maskedPositions: BigInt64Array.from([1n, 4n, 8n, 1n, 0n]),
    labels: BigInt64Array.from([12n, 3n, 19n, 14n, -100n]),
  };
}

/** Parameter values in float64 (the probe converts), perturbed so LayerNorm gains and biases are not trivial. */
function paramsFor(cfg: BertConfig): Map<string, Float64Array> {
  const rng = seeded(7);
  const out = new Map<string, Float64Array>();
  for (const [name, data] of initParams(cfg, rng)) out.set(name, Float64Array.from(data, (v) => v + (rng() - 0.5) * 0.2));
  return out;
}

for (const cfg of [tinyBert, tinyRoberta]) {
  describe(`gradients vs finite differences (${cfg.modelType})`, function () {
    this.timeout(120_000);

    it('matches central differences in float64 on sampled entries of every parameter tensor', async () => {
      const probe = await GradientProbe.create(cfg, shape, 'float64', { threads: 1 });
      const batch = batchFor(cfg);
      const params = paramsFor(cfg);
      const { loss, grads } = await probe.run(params, batch);
      assert.ok(Number.isFinite(loss) && loss > 0);
      const rng = seeded(3);
      const h = 1e-5;
      let worst = 0;
      let worstName = '';
      for (const [name, shp] of paramShapes(cfg)) {
        const p = params.get(name)!;
        const g = grads.get(name)!;
        // The largest-gradient entry plus three random ones.
        let argmax = 0;
        for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[argmax])) argmax = i;
        const picks = [argmax, ...Array.from({ length: 3 }, () => Math.floor(rng() * g.length))];
        const scale = Math.max(Math.abs(g[argmax]), 1e-3);
        // A key bias adds q·b to all of a query's scores alike, which softmax ignores: its gradient is exactly 0.
        if (!name.endsWith('attention.self.key.bias')) assert.ok(Math.abs(g[argmax]) > 1e-6, `${name} [${shp.join('×')}] has an all-zero gradient`);
        for (const i of picks) {
          const saved = p[i];
          p[i] = saved + h;
          const up = (await probe.run(params, batch)).loss;
          p[i] = saved - h;
          const down = (await probe.run(params, batch)).loss;
          p[i] = saved;
          const err = Math.abs((up - down) / (2 * h) - g[i]) / scale;
          if (err > worst) [worst, worstName] = [err, `${name}[${i}]`];
        }
      }
      console.log(`      ${paramShapes(cfg).size} tensors; worst error relative to the tensor's largest gradient: ${worst.toExponential(2)} (${worstName})`);
      assert.ok(worst < 1e-5, `worst ${worst} at ${worstName}`);
      await probe.release();
    });

    it('computes the same gradients in float32 (ONNX Gelu / Erf kernels) as in float64', async () => {
      const batch = batchFor(cfg);
      const params = paramsFor(cfg);
      const p64 = await GradientProbe.create(cfg, shape, 'float64', { threads: 1 });
      const p32 = await GradientProbe.create(cfg, shape, 'float32', { threads: 2 });
      const r64 = await p64.run(params, batch);
      const r32 = await p32.run(params, batch);
      assert.ok(Math.abs(r64.loss - r32.loss) < 1e-5 * r64.loss);
      for (const [name, g64] of r64.grads) {
        const g32 = r32.grads.get(name)!;
        let scale = 0;
        let diff = 0;
        for (let i = 0; i < g64.length; i++) {
          scale = Math.max(scale, Math.abs(g64[i]));
          diff = Math.max(diff, Math.abs(g64[i] - g32[i]));
        }
        assert.ok(diff <= 1e-4 * scale + 1e-7, `${name}: float32 differs by ${diff} (scale ${scale})`);
      }
      await p64.release();
      await p32.release();
    });
  });
}
