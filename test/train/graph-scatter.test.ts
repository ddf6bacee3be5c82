// Regression test: embedding gradients must sum repeated indices exactly when ONNX Runtime uses several threads.
// ScatterND(reduction='add') got such sums wrong with intraOpNumThreads ≥ 2 (onnxruntime-node 1.30); the tape's
// gatherRows backward uses ScatterElements(add) instead.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Tape } from '../../src/train/onnx/autodiff';
import { Graph } from '../../src/train/onnx/graph';
import { seeded, sessionOf } from './helpers';

describe('embedding gradient scatter (ScatterElements add)', function () {
  this.timeout(120_000);

  it('sums duplicate indices exactly with intraOpNumThreads = 2 and 4, run after run', async () => {
    const V = 8192, H = 256, N = 2048;
    const g = new Graph('scatter');
    const t = new Tape(g, 'float32');
    const table = t.watch(g.input('table', 'float32', [V, H]));
    const idx = g.input('idx', 'int64', [N]);
    const seed = g.input('upstream', 'float32', [N, H]);
    const rows = t.gatherRows(table, idx);
    g.output(t.gradients(rows, [table], seed).get(table)!, 'grad', 'float32', [V, H]);

    const rng = seeded(1);
    // Row 4 appears ~290 times, the rest spread over 500 rows: heavy duplication, as with frequent tokens.
    const ids = BigInt64Array.from({ length: N }, (_, i) => BigInt(i % 7 === 0 ? 4 : (i * 31) % 500));
    const upstream = Float32Array.from({ length: N * H }, () => rng() - 0.5);
    const expected = new Float64Array(V * H);
    for (let i = 0; i < N; i++) for (let j = 0; j < H; j++) expected[Number(ids[i]) * H + j] += upstream[i * H + j];

    for (const threads of [2, 4]) {
      const session = await sessionOf(g, threads);
      const feeds = {
        table: new ort.Tensor('float32', new Float32Array(V * H), [V, H]),
        idx: new ort.Tensor('int64', ids, [N]),
        upstream: new ort.Tensor('float32', upstream, [N, H]),
      };
      for (let run = 0; run < 20; run++) {
        const grad = (await session.run(feeds)).grad.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(grad[i] - expected[i]));
        assert.ok(worst < 1e-3, `threads ${threads}, run ${run}: max error ${worst}`);
      }
      await session.release();
    }
  });
});
