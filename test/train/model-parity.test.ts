// Imported fixture weights through our forward graph must reproduce the PyTorch reference logits (≤ 1e-4).
import assert from 'node:assert/strict';
import path from 'node:path';
import { importModel } from '../../src/train/import';
import { inferenceGraph, usesTokenTypes } from '../../src/train/bert';
import { paramCount } from '../../src/train/model';
import { FIXTURES, fixturesDir, int64Tensor, readF32, referenceCases, sessionOf } from './helpers';

const TOLERANCE = 1e-4;

for (const fixture of FIXTURES) {
  describe(`forward parity: ${fixture}`, () => {
    const dir = path.join(fixturesDir, fixture);

    it('imports the config and every weight of model.onnx', async () => {
      const { config, params } = await importModel(dir);
      assert.equal(config.modelType, fixture.startsWith('bert') ? 'bert' : 'roberta');
      let n = 0;
      for (const p of params.values()) n += p.length;
      assert.equal(n, paramCount(config));
      assert.equal(n, fixture.startsWith('bert') ? 827_856 : 730_952); // the README's counts (tied matrix once)
    });

    it('reproduces every reference mask logit and the full reference logits', async () => {
      const { config, params } = await importModel(dir);
      const session = await sessionOf(inferenceGraph(config, params), 2);
      let worstMask = 0;
      let worstFull = 0;
      let fullChecked = 0;
      for (const c of referenceCases(fixture)) {
        const feeds: Record<string, ReturnType<typeof int64Tensor>> = {
          input_ids: int64Tensor(c.input_ids),
          attention_mask: int64Tensor(c.attention_mask),
        };
        if (usesTokenTypes(config)) feeds.token_type_ids = int64Tensor(c.token_type_ids!);
        const logits = (await session.run(feeds)).logits;
        const [batch, seq, vocab] = logits.dims;
        assert.deepEqual([batch, seq, vocab], [c.input_ids.length, c.input_ids[0].length, config.vocabSize]);
        const data = logits.data as Float32Array;
        for (const m of c.masks) {
          const row = (m.batch_index * seq + m.position) * vocab;
          m.top_ids.forEach((id, k) => (worstMask = Math.max(worstMask, Math.abs(data[row + id] - m.top_logits[k]))));
          // The top token is the reference's top token.
          let best = 0;
          for (let v = 1; v < vocab; v++) if (data[row + v] > data[row + best]) best = v;
          assert.equal(best, m.top_ids[0], `${c.name}: top token at ${m.position}`);
        }
        if (c.logits_file) {
          const ref = readF32(path.join(dir, c.logits_file));
          assert.equal(ref.length, seq * vocab);
          for (let i = 0; i < ref.length; i++) worstFull = Math.max(worstFull, Math.abs(ref[i] - data[i]));
          fullChecked++;
        }
      }
      assert.equal(fullChecked, 2, 'both reference-*.f32 files were checked');
      assert.ok(worstMask <= TOLERANCE, `mask logits differ by ${worstMask}`);
      assert.ok(worstFull <= TOLERANCE, `full logits differ by ${worstFull}`);
      console.log(`      max |Δ| mask logits ${worstMask.toExponential(2)}, full logits ${worstFull.toExponential(2)}`);
    });
  });
}
