// Every export carries model.safetensors in transformers' names and layouts: the same tensors as the fixtures'
// PyTorch state dicts, and it loads back (safetensors only) to the reference logits.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSafetensors } from '../../src/core/safetensors';
import { exportModel } from '../../src/train/export';
import { importModel } from '../../src/train/import';
import { FIXTURES, fixturesDir, referenceCases } from './helpers';
import { openModel } from '../../src/train/modelSource';

describe('export: model.safetensors for PyTorch', function () {
  this.timeout(120_000);
  let out: string;
  const oldCache = process.env.CLOZE_CACHE;
  before(() => {
    out = mkdtempSync(path.join(tmpdir(), 'cloze-st-export-'));
    process.env.CLOZE_CACHE = path.join(out, 'cache');
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
    if (oldCache === undefined) delete process.env.CLOZE_CACHE;
    else process.env.CLOZE_CACHE = oldCache;
  });

  for (const fixture of FIXTURES) {
    it(`${fixture}: the exported tensors are the PyTorch checkpoint's (names, shapes, values; tied decoder not stored)`, async () => {
      const src = path.join(fixturesDir, fixture);
      // From the ONNX graph, so nothing of the fixture's safetensors leaks into the export.
      const { config, params } = await importModel(src);
      const dir = path.join(out, fixture);
      await exportModel(dir, config, params, src, { maskedVariant: true });
      const ours = parseSafetensors(readFileSync(path.join(dir, 'model.safetensors')));
      const torch = parseSafetensors(readFileSync(path.join(src, 'model.safetensors')));
      assert.equal(ours.metadata.format, 'pt');
      assert.deepEqual([...ours.tensors.keys()].sort(), [...torch.tensors.keys()].sort());
      assert.ok(![...ours.tensors.keys()].some((k) => k.includes('decoder')), 'the tied decoder is not stored');
      for (const [name, info] of torch.tensors) {
        assert.deepEqual(ours.tensors.get(name)!.shape, info.shape, name);
        assert.equal(ours.tensors.get(name)!.dtype, 'F32');
        const a = ours.read(name);
        const b = torch.read(name);
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        assert.ok(worst < 1e-6, `${name}: ${worst}`);
      }
    });

    it(`${fixture}: the exported model.safetensors alone re-imports to the reference logits`, async () => {
      const exported = path.join(out, fixture);
      const only = path.join(out, `${fixture}-st-only`);
      mkdirSync(only, { recursive: true });
      for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.safetensors']) copyFileSync(path.join(exported, f), path.join(only, f));
      const engine = await openModel(only, { devices: ['cpu'] });
      try {
        assert.match(engine.info.onnxFile, /\.cloze-onnx/);
        let worst = 0;
        for (const c of referenceCases(fixture)) {
          const { data, dims } = await engine.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
          const [, S, V] = dims;
          for (const m of c.masks) m.top_ids.forEach((id, k) => (worst = Math.max(worst, Math.abs(data[(m.batch_index * S + m.position) * V + id] - m.top_logits[k]))));
        }
        assert.ok(worst <= 1e-4, `max |diff| ${worst}`);
      } finally {
        await engine.dispose();
      }
    });
  }
});
