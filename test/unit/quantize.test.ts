// int8 graphs (issue 12 #1): the quantiser's output runs in the real ONNX Runtime, agrees with fp32, and precision picks the file.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Engine } from '../../src/core/engine';
import { readModelFolder } from '../../src/core/modelFolder';
import { QUANTIZATION_RECORD, QUANTIZED_GRAPH, type QuantizationRecord } from '../../src/core/precision';
import { decodeModel, onnx } from '../../src/train/onnx/proto';
import { quantizeModel, symmetricScale } from '../../src/train/onnx/quantize';
import { exportModel } from '../../src/train/export';
import { importModel } from '../../src/train/import';
import { quantizeFolder } from '../../src/train/quantizeFolder';
import { FIXTURES, fixture, repoRoot } from '../paths';

interface RefMask { batch_index: number; position: number; top_ids: number[] }
interface RefCase { name: string; input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][]; masks: RefMask[] }

const tmpDirs: string[] = [];
function copyOf(dir: string): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-quant-'));
  tmpDirs.push(tmp);
  cpSync(dir, tmp, { recursive: true });
  return tmp;
}
after(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function heldOut(kind: 'code' | 'prose', files: number): string[] {
  const dir = path.join(repoRoot, 'test', 'fixtures', 'default-eval', kind);
  return readdirSync(dir).filter((f) => f.endsWith('.txt')).sort().slice(0, files).map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** MatMuls / Gemms whose second input is a stored weight: an initializer, or a Cast / Transpose of one. */
function weightMatMuls(model: onnx.IModelProto): number {
  const inits = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  const producers = new Map<string, onnx.INodeProto>();
  for (const n of model.graph?.node ?? []) for (const o of n.output ?? []) producers.set(o, n);
  const stored = (name: string): boolean => {
    if (inits.has(name)) return true;
    const p = producers.get(name);
    return !!p && (p.opType === 'Cast' || p.opType === 'Transpose') && stored(p.input?.[0] ?? '');
  };
  return (model.graph?.node ?? []).filter((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && stored(n.input?.[1] ?? '')).length;
}

describe('int8 quantisation of inference graphs', () => {
  for (const name of FIXTURES) {
    describe(name, () => {
      let dir: string;
      let fp32: Engine;
      let int8: Engine;
      before(async () => {
        dir = copyOf(fixture(name));
        const model = decodeModel(readFileSync(path.join(dir, 'model.onnx')));
        const report = quantizeModel(model);
        // 2 layers × (Q, K, V, attention output, FFN in, FFN out) + head transform + decoder.
        assert.equal(report.quantized.length, 14, report.quantized.join(', '));
        assert.equal(weightMatMuls(model), 0, 'no float MatMul with a constant weight is left');
        mkdirSync(path.join(dir, 'onnx'), { recursive: true });
        writeFileSync(path.join(dir, QUANTIZED_GRAPH), onnx.ModelProto.encode(model).finish());
        fp32 = await Engine.load(dir, { devices: ['cpu'], precision: 'fp32' });
        int8 = await Engine.load(dir, { devices: ['cpu'], precision: 'int8' });
      });
      after(async () => {
        await fp32?.dispose();
        await int8?.dispose();
      });

      it('precision picks the file: fp32 → model.onnx, int8 → the quantised graph', () => {
        assert.equal(path.basename(fp32.info.onnxFile), 'model.onnx');
        assert.equal(fp32.info.precision, 'fp32');
        assert.equal(path.relative(dir, int8.info.onnxFile), QUANTIZED_GRAPH);
        assert.equal(int8.info.precision, 'int8');
      });

      it('fills the reference cases with the same first choice as PyTorch at every mask', async () => {
        const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { cases: RefCase[] };
        let masks = 0, same = 0, worst = 0;
        for (const c of ref.cases) {
          const a = await fp32.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
          const q = await int8.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
          const [, S, V] = q.dims;
          for (const m of c.masks) {
            const off = (m.batch_index * S + m.position) * V;
            let best = 0;
            for (let v = 1; v < V; v++) if (q.data[off + v] > q.data[off + best]) best = v;
            masks++;
            if (best === m.top_ids[0]) same++;
            for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(a.data[off + v] - q.data[off + v]));
          }
        }
        assert.equal(masks, 15);
        // Measured: 15 of 15 on both fixtures; max |Δlogit| 0.21 on both.
        assert.equal(same, masks, `int8 top-1 matched the reference at ${same} of ${masks} masks`);
        assert.ok(worst > 0 && worst < 1, `max |Δlogit| ${worst}`);
      });

      it('the engine fills a mask with the int8 graph', async () => {
        const text = name.startsWith('roberta') ? 'This program is free <mask>.' : 'This program is free [MASK].';
        const p = await int8.fillAt(text, text.indexOf(name.startsWith('roberta') ? '<mask>' : '[MASK]'));
        const r = await fp32.fillAt(text, text.indexOf(name.startsWith('roberta') ? '<mask>' : '[MASK]'));
        assert.ok(p && r);
        assert.equal(p.candidates[0].text, r.candidates[0].text);
      });
    });
  }

  it('our own export (Gemm, float32 weights, head at masks): quantised, unmeasured, int8 on request only; a re-export removes it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cloze-quant-export-'));
    tmpDirs.push(dir);
    const { config, params } = await importModel(fixture('bert-tiny-wordpiece'));
    await exportModel(dir, config, params, fixture('bert-tiny-wordpiece'), { maskedVariant: true, safetensors: false });
    const { record } = await quantizeFolder(dir);
    assert.equal(record.source, path.join('onnx', 'model_masked.onnx'));
    // Head at the masks: the MLM head (dense transform + decoder) stays float by default, the 12 encoder MatMuls are int8.
    assert.equal(record.quantizedMatMuls, 12);
    assert.equal(record.floatMatMuls.length, 2);
    assert.equal(record.agreement, null);
    const auto = await readModelFolder(dir, { precision: 'auto' });
    assert.equal(auto.precision, 'fp32');
    assert.match(auto.precisionReason, /not measured/);
    const fp32 = await Engine.load(dir, { devices: ['cpu'], precision: 'fp32' });
    const int8 = await Engine.load(dir, { devices: ['cpu'], precision: 'int8' });
    try {
      assert.ok(int8.info.headAtMasks && int8.info.precision === 'int8');
      const text = 'You should have received a [MASK] of the GNU General Public [MASK] along with this program.';
      const a = await fp32.fill(text);
      const q = await int8.fill(text);
      assert.deepEqual(q.map((p) => p.candidates[0].text), a.map((p) => p.candidates[0].text));
    } finally {
      await fp32.dispose();
      await int8.dispose();
    }
    await exportModel(dir, config, params, fixture('bert-tiny-wordpiece'), { maskedVariant: true, safetensors: false });
    assert.ok(!existsSync(path.join(dir, QUANTIZED_GRAPH)) && !existsSync(path.join(dir, QUANTIZATION_RECORD)));
  });

  it('keepHead keeps exactly the MLM head in float: its dense transform and the decoder', () => {
    for (const name of FIXTURES) {
      const model = decodeModel(readFileSync(path.join(fixture(name), 'model.onnx')));
      const report = quantizeModel(model, { keepHead: true });
      assert.equal(report.quantized.length, 12, `${name}: ${report.quantized.join(', ')}`);
      assert.deepEqual(report.kept.map((k) => k.reason).sort(), ["head's dense transform kept in float", 'vocabulary head kept in float'], name);
      // What is left in float is the head: two weight MatMuls, none of them an encoder layer's.
      assert.equal(weightMatMuls(model), 2, name);
      assert.ok(report.kept.every((k) => /^\/(cls\/predictions|lm_head)\//.test(k.node)), report.kept.map((k) => k.node).join(', '));
    }
  });

  it('the comparison options: per-tensor scales, 7-bit weights and MSE-searched scales make graphs ORT runs', async () => {
    const dir = copyOf(fixture('bert-tiny-wordpiece'));
    const ints = (m: onnx.IModelProto, suffix: RegExp) => (m.graph?.initializer ?? []).filter((t) => suffix.test(t.name ?? ''));
    const variants = { perTensor: { perTensor: true }, reduceRange: { reduceRange: true }, mseScale: { mseScale: true } } as const;
    for (const [name, options] of Object.entries(variants)) {
      const model = decodeModel(readFileSync(path.join(dir, 'model.onnx')));
      assert.equal(quantizeModel(model, options).quantized.length, 14, name);
      assert.equal(ints(model, /_scale__q\d+$/).length, 14, name);
      if (name === 'perTensor') {
        for (const t of ints(model, /_scale__q\d+$/)) assert.equal(new Set(new Float32Array(t.rawData?.slice().buffer as ArrayBuffer)).size, 1, t.name ?? '');
      }
      if (name === 'reduceRange') {
        assert.equal(ints(model, /_quantized__q\d+$/).filter((x) => x.dataType === onnx.TensorProto.DataType.INT8).length, 14);
        for (const t of ints(model, /_quantized__q\d+$/).filter((x) => x.dataType === onnx.TensorProto.DataType.INT8)) {
          const q = new Int8Array(t.rawData?.slice().buffer as ArrayBuffer);
          assert.ok(q.every((v) => v >= -63 && v <= 63), t.name ?? '');
        }
      }
      mkdirSync(path.join(dir, 'onnx'), { recursive: true });
      writeFileSync(path.join(dir, QUANTIZED_GRAPH), onnx.ModelProto.encode(model).finish());
      const int8 = await Engine.load(dir, { devices: ['cpu'], precision: 'int8' });
      try {
        const p = await int8.fillAt('This program is free [MASK].', 'This program is free '.length);
        assert.ok(p && p.candidates.length > 0, name);
      } finally {
        await int8.dispose();
      }
    }
    // An outlier: clipping it buys a finer grid for the rest, with less squared error in all.
    const v = [0.01, -0.02, 0.015, 0.03, -0.025, 0.02, 1];
    const sse = (s: number) => v.reduce((a, x) => a + (x - Math.max(-127, Math.min(127, Math.round(x / s))) * s) ** 2, 0);
    const searched = symmetricScale(v, 127, true);
    assert.equal(symmetricScale(v, 127), 1 / 127);
    assert.ok(searched <= 1 / 127 && sse(searched) <= sse(1 / 127));
  });

  it("a Hub folder with only transformers.js' onnx/model_quantized.onnx still loads, whatever the precision", async () => {
    const dir = copyOf(fixture('bert-tiny-wordpiece'));
    mkdirSync(path.join(dir, 'onnx'));
    renameSync(path.join(dir, 'model.onnx'), path.join(dir, 'onnx', 'model_quantized.onnx'));
    for (const precision of ['auto', 'fp32', 'int8'] as const) {
      const f = await readModelFolder(dir, { precision });
      assert.equal(path.relative(dir, f.onnxPath), path.join('onnx', 'model_quantized.onnx'), precision);
    }
  });

  describe('cloze quantize (CLI)', () => {
    const cli = path.join(repoRoot, 'dist', 'cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'quantize', ...args], { encoding: 'utf8' });

    it('--eval --json: writes the graph and prints the record', function () {
      this.timeout(300_000);
      const dir = copyOf(fixture('roberta-tiny-bpe'));
      const evalDir = path.join(repoRoot, 'test', 'fixtures', 'default-eval', 'code');
      const r = run(dir, '--eval', path.join(evalDir, '000004.txt'), '--eval', path.join(evalDir, '000006.txt'), '--json');
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as QuantizationRecord & { graph: string };
      assert.equal(out.graph, path.join(dir, QUANTIZED_GRAPH));
      assert.ok(typeof out.agreement === 'number' && out.agreement > 0.8 && out.maskedTokens > 50, JSON.stringify(out));
      const { graph: _graph, ...printed } = out;
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, QUANTIZATION_RECORD), 'utf8')), printed);
      const fill = spawnSync(process.execPath, [cli, 'fill', 'This program is free <mask>.', '--model', dir, '--precision', 'int8', '--json', '--top-k', '1'], { encoding: 'utf8' });
      assert.equal(fill.status, 0, fill.stderr);
      assert.match(fill.stderr, /Precision int8: precision int8/);
      assert.equal(JSON.parse(fill.stdout)[0].token_str, ' software');
    });

    it('bad arguments and folders get one-line advice', () => {
      let r = run(fixture('bert-tiny-wordpiece'), '--weights', 'int4');
      assert.equal(r.status, 1);
      assert.match(r.stderr, /--weights must be int8 or uint8/);
      r = run(path.join(os.tmpdir(), 'cloze-no-such-model'));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^cloze: Model folder not found/);
    });
  });

  describe('cloze.precision auto (quantization.json)', () => {
    let dir: string;
    let record: QuantizationRecord;
    before(async function () {
      this.timeout(300_000);
      dir = copyOf(path.join(repoRoot, 'models', 'default'));
      // Enough held-out prose for 1,000+ masks with any vocabulary (a larger one spends fewer tokens on the same text).
      ({ record } = await quantizeFolder(dir, { heldOut: heldOut('prose', 8), head: 'int8', maxMasked: 1500 }));
    });

    it('records agreement, held-out top-1 of both graphs, logit error and speed measured on held-out text', () => {
      assert.equal(record.source, 'onnx/model_masked.onnx');
      assert.equal(record.graphBytes, statSync(path.join(dir, QUANTIZED_GRAPH)).size);
      assert.ok(record.maskedTokens >= 1000, `${record.maskedTokens} masks`);
      // Measured on this model: 96–97% agreement, held-out top-1 within 0.1 points of fp32 (README, int8 graphs). Not 99%.
      assert.ok(record.agreement !== null && record.agreement > 0.93 && record.agreement < 1, `agreement ${record.agreement}`);
      assert.ok(record.top1Fp32 !== null && record.top1Int8 !== null && Math.abs(record.top1Fp32 - record.top1Int8) < 0.02);
      assert.ok(record.maxAbsLogitDelta !== null && record.maxAbsLogitDelta > 0);
      assert.ok(record.speedup !== null && record.speedup > 0);
    });

    const withRecord = (patch: Partial<QuantizationRecord>): void => {
      writeFileSync(path.join(dir, QUANTIZATION_RECORD), JSON.stringify({ ...record, ...patch }));
    };

    it('auto takes int8 only with agreement ≥ 99% and a speed-up, for exactly these files', async () => {
      withRecord({ agreement: 0.995, speedup: 1.4 });
      let f = await readModelFolder(dir, { precision: 'auto' });
      assert.equal(f.precision, 'int8', f.precisionReason);
      assert.equal(path.relative(dir, f.onnxPath), QUANTIZED_GRAPH);

      withRecord({ agreement: 0.985, speedup: 1.4 });
      f = await readModelFolder(dir, { precision: 'auto' });
      assert.equal(f.precision, 'fp32');
      assert.match(f.precisionReason, /98\.50%/);

      withRecord({ agreement: 0.995, speedup: 0.9 });
      assert.equal((await readModelFolder(dir, { precision: 'auto' })).precision, 'fp32');

      withRecord({ agreement: 0.995, speedup: 1.4, graphBytes: record.graphBytes + 1 });
      f = await readModelFolder(dir, { precision: 'auto' });
      assert.equal(f.precision, 'fp32');
      assert.match(f.precisionReason, /other files/);

      writeFileSync(path.join(dir, QUANTIZATION_RECORD), '{ not json');
      assert.equal((await readModelFolder(dir, { precision: 'auto' })).precision, 'fp32');
      // int8 is what the user asked for: it does not depend on the record.
      assert.equal((await readModelFolder(dir, { precision: 'int8' })).precision, 'int8');
      withRecord({});
    });

    it('without a quantised graph, int8 and auto fall back to fp32 and say how to make one', async () => {
      const plain = path.join(repoRoot, 'models', 'default');
      const f = await readModelFolder(plain, { precision: 'int8' });
      assert.equal(f.precision, 'fp32');
      assert.equal(path.relative(plain, f.onnxPath), path.join('onnx', 'model_masked.onnx'));
      assert.match(f.precisionReason, /cloze quantize/);
      assert.equal((await readModelFolder(plain)).precision, 'fp32');
    });
  });
});
