// Exported folders load in onnxruntime-node and transformers.js and compute what our training graphs compute.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportModel } from '../../src/train/export';
import { importModel } from '../../src/train/import';
import { configFromHF } from '../../src/train/model';
import { DEFAULT_HYPER, EvalStep, TrainStep, createOptimizerState } from '../../src/train/step';
import { FIXTURES, fixturesDir, int64Tensor, readF32, realTextBatches, referenceCases } from './helpers';

describe('export', function () {
  this.timeout(300_000);
  let out: string;
  before(() => {
    out = mkdtempSync(path.join(tmpdir(), 'cloze-export-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('a model with fewer positions than its tokenizer was made for says so in tokenizer_config.json', async () => {
    const src = path.join(fixturesDir, 'roberta-tiny-bpe');
    const { config, params } = await importModel(src);
    const rows = 64 + config.positionOffset;
    const table = params.get('embeddings.position_embeddings.weight')!;
    params.set('embeddings.position_embeddings.weight', table.slice(0, rows * config.hidden));
    const dir = path.join(out, 'short');
    await exportModel(dir, { ...config, maxPositions: rows }, params, src);
    const before = JSON.parse(readFileSync(path.join(src, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const after = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(before.model_max_length, 128);
    assert.deepEqual(after, { ...before, model_max_length: 64 });
  });

  for (const fixture of FIXTURES) {
    it(`${fixture}: import → export → onnxruntime-node reproduces the PyTorch reference logits, and re-imports exactly`, async () => {
      const src = path.join(fixturesDir, fixture);
      const { config, params } = await importModel(src);
      const dir = path.join(out, fixture);
      await exportModel(dir, config, params, src, { maskedVariant: true });

      assert.deepEqual(configFromHF(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as object), config);
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
        assert.equal(readFileSync(path.join(dir, f), 'utf8'), readFileSync(path.join(src, f), 'utf8'));
      }
      assert.equal(statSync(path.join(dir, 'onnx', 'model.onnx')).size, statSync(path.join(dir, 'model.onnx')).size);

      const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 2 });
      const masked = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model_masked.onnx'), { intraOpNumThreads: 2 });
      assert.deepEqual(session.outputNames, ['logits']);
      let worst = 0;
      let worstMasked = 0;
      for (const c of referenceCases(fixture)) {
        const feeds: Record<string, ort.Tensor> = { input_ids: int64Tensor(c.input_ids), attention_mask: int64Tensor(c.attention_mask) };
        if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = int64Tensor(c.token_type_ids!);
        const logits = (await session.run(feeds)).logits;
        const [, seq, V] = logits.dims;
        const data = logits.data as Float32Array;
        if (c.logits_file) {
          const ref = readF32(path.join(src, c.logits_file));
          for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - data[i]));
        }
        // The masked variant: the same logits, only at the asked positions ([batch, masks], one row per sequence).
        const perRow = c.input_ids.map((_, b) => c.masks.filter((m) => m.batch_index === b).map((m) => m.position));
        const width = Math.max(...perRow.map((r) => r.length));
        if (width === 0) continue;
        const positions = perRow.map((r) => [...r, ...Array(width - r.length).fill(r[0] ?? 0)]);
        const mo = (await masked.run({ ...feeds, mask_positions: int64Tensor(positions) })).logits;
        assert.deepEqual(mo.dims, [c.input_ids.length, width, V]);
        const md = mo.data as Float32Array;
        positions.forEach((row, b) => row.forEach((p, j) => {
          for (let v = 0; v < V; v++) worstMasked = Math.max(worstMasked, Math.abs(md[(b * width + j) * V + v] - data[(b * seq + p) * V + v]));
        }));
      }
      assert.ok(worst <= 1e-4, `exported logits differ from PyTorch by ${worst}`);
      assert.ok(worstMasked <= 1e-5, `masked variant differs by ${worstMasked}`);

      const again = await importModel(dir);
      for (const [name, data] of params) assert.deepEqual(again.params.get(name), data, name);
      await session.release();
      await masked.release();
    });
  }

  it('a trained model exports to the forward that training evaluates (loss from exported logits = EvalStep loss)', async () => {
    const fixture = 'roberta-tiny-bpe';
    const src = path.join(fixturesDir, fixture);
    const { config, params } = await importModel(src);
    const shape = { batch: 4, seq: 32, maxMasked: 20 };
    const batches = await realTextBatches(fixture, shape, 3, 4);
    const step = await TrainStep.create(config, { ...shape, stepsPerCall: 2 }, DEFAULT_HYPER, { threads: 2 });
    await step.run(params, createOptimizerState(config), batches.slice(0, 2), [1e-3, 1e-3]);
    await step.release();

    const dir = path.join(out, 'trained');
    await exportModel(dir, config, params, src);
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 2 });
    const ev = await EvalStep.create(config, shape, { threads: 2 });
    const b = batches[2];
    const expected = await ev.run(params, b);
    const logits = (await session.run({
      input_ids: new ort.Tensor('int64', b.inputIds, [b.batch, b.seq]),
      attention_mask: new ort.Tensor('int64', b.attentionMask, [b.batch, b.seq]),
    })).logits.data as Float32Array;
    const V = config.vocabSize;
    let lossSum = 0;
    b.labels.forEach((label, i) => {
      if (label < 0n) return;
      const row = logits.subarray(Number(b.maskedPositions[i]) * V, (Number(b.maskedPositions[i]) + 1) * V);
      const max = row.reduce((a, x) => Math.max(a, x), -Infinity);
      lossSum += max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0)) - row[Number(label)];
    });
    assert.ok(Math.abs(lossSum - expected.lossSum) < 1e-3, `${lossSum} vs ${expected.lossSum}`);
    await session.release();
    await ev.release();
  });

  it('transformers.js fill-mask loads the exported folder and agrees on the top token', async () => {
    const { pipeline, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = out;
    for (const fixture of FIXTURES) {
      const c = referenceCases(fixture).find((x) => x.masks.length === 1 && x.input_ids.length === 1)!;
      const text = (JSON.parse(readFileSync(path.join(fixturesDir, fixture, 'reference.json'), 'utf8')) as { cases: { name: string; texts: string[] }[] })
        .cases.find((x) => x.name === c.name)!.texts[0];
      const fill = await pipeline('fill-mask', fixture, { local_files_only: true, dtype: 'fp32' });
      const result = (await fill(text, { top_k: 3 })) as { token: number; score: number }[];
      assert.equal(result[0].token, c.masks[0].top_ids[0], `${fixture}: "${text}"`);
      await fill.dispose();
    }
  });
});
