// The sinusoid start of the position table (`cloze train --position-init sinusoid`): smooth, of BERT's scale, and
// changing nothing else of a new model, so the two inits differ only where they say they do.
import assert from 'node:assert/strict';
import { BertConfig, PARAM, initParams } from '../../src/train/model';
import { Rng } from '../../src/train/rng';

const cfg: BertConfig = {
  vocabSize: 500, hidden: 48, layers: 1, heads: 2, intermediate: 96, maxPositions: 130, typeVocabSize: 1,
  layerNormEps: 1e-5, positionOffset: 2, padTokenId: 1, initRange: 0.05, modelType: 'roberta',
};

function rows(table: Float32Array, h: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let r = 0; r < table.length / h; r++) out.push(table.subarray(r * h, (r + 1) * h));
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

function rms(x: Float32Array): number {
  let s2 = 0;
  for (const v of x) s2 += v * v;
  return Math.sqrt(s2 / x.length);
}

describe('position-table init', () => {
  const normal = initParams(cfg, Rng.fromSeed(7).uniform());
  const sinusoid = initParams(cfg, Rng.fromSeed(7).uniform(), 'sinusoid');

  it('sinusoid: neighbouring positions start similar, far ones do not; random rows are unrelated', () => {
    const s = rows(sinusoid.get(PARAM.positionEmbeddings)!, cfg.hidden);
    const n = rows(normal.get(PARAM.positionEmbeddings)!, cfg.hidden);
    const meanCos = (t: Float32Array[], offset: number) => {
      let c = 0;
      for (let p = 2; p + offset < t.length; p++) c += cosine(t[p], t[p + offset]);
      return c / (t.length - 2 - offset);
    };
    assert.ok(meanCos(s, 1) > 0.8, `sinusoid neighbours: cosine ${meanCos(s, 1)}`);
    assert.ok(meanCos(s, 1) > meanCos(s, 16) + 0.2, `sinusoid: near ${meanCos(s, 1)}, far ${meanCos(s, 16)}`);
    assert.ok(Math.abs(meanCos(n, 1)) < 0.1, `random neighbours: cosine ${meanCos(n, 1)}`);
  });

  it('sinusoid: the table has the scale of the random one (root mean square initRange)', () => {
    const s = rms(sinusoid.get(PARAM.positionEmbeddings)!);
    const n = rms(normal.get(PARAM.positionEmbeddings)!);
    assert.ok(Math.abs(s - cfg.initRange) < 0.01 * cfg.initRange, `sinusoid ${s}`);
    assert.ok(Math.abs(n - cfg.initRange) < 0.05 * cfg.initRange, `normal ${n}`);
  });

  it('every other parameter is the same as with the random init (same draws)', () => {
    for (const [name, value] of normal) {
      if (name === PARAM.positionEmbeddings) continue;
      assert.deepEqual(sinusoid.get(name), value, name);
    }
    assert.notDeepEqual(sinusoid.get(PARAM.positionEmbeddings), normal.get(PARAM.positionEmbeddings));
  });
});
