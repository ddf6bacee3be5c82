// Float16 weight storage: exact half-precision rounding, and a converted model that predicts like the original.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { fromHalfBits, toHalfBits } from '../../src/core/half';
import { halveWeights, restoreHalfWeights } from '../../src/train/onnx/halfWeights';
import { importModel } from '../../src/train/import';
import { repoRoot } from '../paths';
import { fixture } from '../paths';

describe('float16 weights', () => {
  it('rounds like IEEE binary16 (normals, ties to even, subnormals, overflow, specials)', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
      [1 + 2 ** -11, 0x3c00], // exactly halfway between 1 and the next half: ties to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway, rounds up to even
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -26, 0x0000], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [v, bits] of cases) assert.equal(toHalfBits(v), bits, `${v}`);
    assert.equal(toHalfBits(NaN) & 0x7c00, 0x7c00);
    assert.ok((toHalfBits(NaN) & 0x3ff) !== 0);
  });

  it('a model with float16 weights is half the size and ranks the same top tokens', async () => {
    const dir = fixture('bert-tiny-wordpiece');
    const bytes = readFileSync(path.join(dir, 'model.onnx'));
    const m = onnx.ModelProto.decode(bytes);
    assert.ok(halveWeights(m) > 10);
    const half = onnx.ModelProto.encode(m).finish();
    assert.ok(half.length < 0.6 * bytes.length, `${half.length} vs ${bytes.length} bytes`);
    const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { cases: { input_ids: number[][]; attention_mask: number[][]; masks: { batch_index: number; position: number; top_ids: number[] }[] }[] };
    const a = await ort.InferenceSession.create(bytes);
    const b = await ort.InferenceSession.create(half);
    for (const c of ref.cases) {
      const B = c.input_ids.length, S = c.input_ids[0].length;
      const t = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [B, S]);
      const feeds = { input_ids: t(c.input_ids), attention_mask: t(c.attention_mask), token_type_ids: t(c.input_ids.map((r) => r.map(() => 0))) };
      const la = (await a.run(feeds)).logits.data as Float32Array;
      const lb = (await b.run(feeds)).logits.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i] - lb[i]));
      assert.ok(worst < 0.05, `max |Δlogit| ${worst}`);
      for (const mk of c.masks) {
        const V = la.length / (B * S);
        const off = (mk.batch_index * S + mk.position) * V;
        const best = (l: Float32Array) => { let k = 0; for (let i = 1; i < V; i++) if (l[off + i] > l[off + k]) k = i; return k; };
        assert.equal(best(lb), best(la));
      }
    }
  });

  it('restores float16 weights to float32 (round trip within half precision), so shipped models can be trained further', async () => {
    for (const v of [0, 1, -2, 0.1, 3.14159, 65504, 2 ** -24]) {
      assert.ok(Math.abs(fromHalfBits(toHalfBits(v)) - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v}`);
    }
    const bytes = readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.onnx'));
    const m = onnx.ModelProto.decode(bytes);
    const n = halveWeights(m);
    assert.equal(restoreHalfWeights(m), n);
    assert.ok(!(m.graph!.node ?? []).some((x) => x.opType === 'Cast' && (x.output?.[0] ?? '').length > 0 && (x.input?.[0] ?? '').endsWith('__fp16')));
    const s = await ort.InferenceSession.create(onnx.ModelProto.encode(m).finish());
    assert.deepEqual([...s.inputNames].sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
    // The bundled default model (float16 on disk) imports for "Train on Workspace".
    const { config, params } = await importModel(path.join(repoRoot, 'models', 'default'));
    assert.equal(params.get('embeddings.word_embeddings.weight')?.length, config.vocabSize * config.hidden);
  });
});
