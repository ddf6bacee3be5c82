// The train step on real text: the loss goes down, steps are bit-identical however they are split into calls, and
// EvalStep agrees with the exported-style inference graph.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Batch } from '../../src/train/batch';
import { inferenceGraph } from '../../src/train/bert';
import { importModel } from '../../src/train/import';
import { BertConfig, Params, initParams } from '../../src/train/model';
import { learningRate } from '../../src/train/schedule';
import { DEFAULT_HYPER, EvalStep, OptimizerState, TrainStep, createOptimizerState } from '../../src/train/step';
import { fixturesDir, realTextBatches, seeded, sessionOf } from './helpers';

const FIXTURE = 'bert-tiny-wordpiece';
const small: BertConfig = {
  vocabSize: 6000, hidden: 64, layers: 2, heads: 2, intermediate: 128, maxPositions: 64, typeVocabSize: 2,
  layerNormEps: 1e-12, positionOffset: 0, padTokenId: 0, initRange: 0.05, modelType: 'bert',
};
const shape = { batch: 8, seq: 32, maxMasked: 48 };

function copyParams(p: Params): Params {
  return new Map([...p].map(([k, v]) => [k, Float32Array.from(v)]));
}
function copyOpt(o: OptimizerState): OptimizerState {
  return { step: o.step, m: copyParams(o.m), v: copyParams(o.v) };
}
function bitsEqual(a: Params, b: Params): boolean {
  for (const [k, v] of a) {
    const w = b.get(k)!;
    if (!Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength))) return false;
  }
  return a.size === b.size;
}

describe('train step', function () {
  this.timeout(300_000);
  let batches: Batch[];
  before(async () => {
    batches = await realTextBatches(FIXTURE, shape, 12, 5);
  });

  it('lowers the masked-LM loss on real text, from scratch', async () => {
    const step = await TrainStep.create(small, { ...shape, stepsPerCall: 4 }, DEFAULT_HYPER, { threads: 2 });
    const params = initParams(small, seeded(11));
    const opt = createOptimizerState(small);
    const schedule = { peak: 3e-3, warmup: 6, total: 48, decay: 'linear' as const };
    const losses: number[] = [];
    for (let s = 0; s < 48; s += 4) {
      const chunk = [0, 1, 2, 3].map((i) => batches[(s + i) % batches.length]);
      const lrs = [0, 1, 2, 3].map((i) => learningRate(s + i, schedule));
      const r = await step.run(params, opt, chunk, lrs);
      assert.ok(r.gradNorms.every((g) => Number.isFinite(g) && g > 0));
      losses.push(...r.losses);
    }
    assert.equal(opt.step, 48);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 12));
    const last = mean(losses.slice(-12)); // the same 12 batches, one epoch apart
    console.log(`      loss first epoch ${first.toFixed(3)} → last epoch ${last.toFixed(3)} (ln V = ${Math.log(small.vocabSize).toFixed(2)})`);
    assert.ok(first > 7.5, 'starts near ln(vocab) from random init');
    assert.ok(last < first - 1.5, `loss went ${first} → ${last}`);
    await step.release();
  });

  it('gives bit-identical params and moments for 2 calls of K steps and 1 call of 2K steps', async () => {
    const K = 3;
    const hyper = { ...DEFAULT_HYPER, clipNorm: 0.5 }; // clipping active
    const params0 = initParams(small, seeded(12));
    const lrs = Array.from({ length: 2 * K }, (_, i) => learningRate(i, { peak: 2e-3, warmup: 2, total: 10, decay: 'cosine' }));
    const run = batches.slice(0, 2 * K);

    const whole = await TrainStep.create(small, { ...shape, stepsPerCall: 2 * K }, hyper, { threads: 2 });
    const pA = copyParams(params0);
    const oA = createOptimizerState(small);
    const rA = await whole.run(pA, oA, run, lrs);

    const split = await TrainStep.create(small, { ...shape, stepsPerCall: K }, hyper, { threads: 2 });
    const pB = copyParams(params0);
    let oB = createOptimizerState(small);
    const r1 = await split.run(pB, oB, run.slice(0, K), lrs.slice(0, K));
    // A resume: the state goes through plain copies (as a checkpoint would) before the second call.
    const pB2 = copyParams(pB);
    oB = copyOpt(oB);
    const r2 = await split.run(pB2, oB, run.slice(K), lrs.slice(K));

    assert.deepEqual([...r1.losses, ...r2.losses], rA.losses);
    assert.deepEqual([...r1.gradNorms, ...r2.gradNorms], rA.gradNorms);
    assert.ok(rA.gradNorms.some((g) => g > hyper.clipNorm), 'clipping was exercised');
    assert.equal(oB.step, oA.step);
    assert.ok(bitsEqual(pA, pB2), 'params differ');
    assert.ok(bitsEqual(oA.m, oB.m) && bitsEqual(oA.v, oB.v), 'Adam moments differ');
    await whole.release();
    await split.release();
  });

  it('EvalStep matches loss and top-k computed from the inference graph logits', async () => {
    const { config, params } = await importModel(path.join(fixturesDir, FIXTURE));
    const evalShape = { batch: 4, seq: 32, maxMasked: 24 };
    const evalBatches = await realTextBatches(FIXTURE, evalShape, 2, 9);
    const ev = await EvalStep.create(config, evalShape, { threads: 2 });
    const infer = await sessionOf(inferenceGraph(config, params), 2);
    for (const b of evalBatches) {
      const got = await ev.run(params, b);
      const feeds = {
        input_ids: new ort.Tensor('int64', b.inputIds, [b.batch, b.seq]),
        attention_mask: new ort.Tensor('int64', b.attentionMask, [b.batch, b.seq]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(b.batch * b.seq), [b.batch, b.seq]),
      };
      const logits = (await infer.run(feeds)).logits.data as Float32Array;
      const V = config.vocabSize;
      let lossSum = 0, count = 0, top1 = 0, top5 = 0;
      b.labels.forEach((label, i) => {
        if (label < 0n) return;
        const row = logits.subarray(Number(b.maskedPositions[i]) * V, (Number(b.maskedPositions[i]) + 1) * V);
        const max = row.reduce((a, x) => Math.max(a, x), -Infinity);
        const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
        lossSum += lse - row[Number(label)];
        count++;
        const rank = row.reduce((r, x) => r + (x > row[Number(label)] ? 1 : 0), 0);
        if (rank === 0) top1++;
        if (rank < 5) top5++;
      });
      assert.equal(got.count, count);
      assert.ok(Math.abs(got.lossSum - lossSum) < 1e-3, `${got.lossSum} vs ${lossSum}`);
      assert.equal(got.top1, top1);
      assert.equal(got.top5, top5);
    }
    await ev.release();
    await infer.release();
  });
});
