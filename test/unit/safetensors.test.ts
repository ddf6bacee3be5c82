// A folder with model.safetensors and no ONNX must load and reproduce the PyTorch reference logits (≤ 1e-4).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { ClozeError } from '../../src/core/errors';
import { encodeSafetensors, parseSafetensors } from '../../src/core/safetensors';
import { importModel } from '../../src/train/import';
import { FIXTURES, fixture } from '../paths';
import { SHARDS, writeShards } from '../shards';
import { openModel } from '../../src/train/modelSource';

interface RefCase { name: string; texts: string[]; input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][]; masks: { batch_index: number; position: number; top_ids: number[]; top_logits: number[] }[]; logits_file?: string }

const TOL = 1e-4;

/** The fixture folder without its ONNX graph (and without `drop`): what a Hub checkpoint looks like. */
export function safetensorsOnlyCopy(name: (typeof FIXTURES)[number], into: string, drop: readonly string[] = []): string {
  mkdirSync(into, { recursive: true });
  for (const f of readdirSync(fixture(name))) {
    if (f === 'model.onnx' || f.startsWith('reference') || drop.includes(f)) continue;
    copyFileSync(path.join(fixture(name), f), path.join(into, f));
  }
  return into;
}

/** Rewrites a float32 safetensors file with every tensor stored as F16 or BF16 (round to nearest). */
function halfCopy(src: string, dst: string, dtype: 'F16' | 'BF16'): void {
  const st = parseSafetensors(readFileSync(src));
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const [name, info] of st.tensors) {
    const data = st.read(name);
    const out = Buffer.alloc(data.length * 2);
    for (let i = 0; i < data.length; i++) {
      f32[0] = data[i];
      const bits = u32[0];
      let h: number;
      if (dtype === 'BF16') h = ((bits + 0x7fff + ((bits >> 16) & 1)) >>> 16) & 0xffff;
      else {
        const sign = (bits >>> 16) & 0x8000;
        const exp = ((bits >>> 23) & 0xff) - 127 + 15;
        const mant = bits & 0x7fffff;
        if (exp <= 0) h = sign | Math.round((mant | 0x800000) / 2 ** (14 - exp));
        else if (exp >= 31) h = sign | 0x7c00;
        else h = sign + ((exp << 10) | (mant >> 13)) + ((mant >> 12) & 1);
      }
      out.writeUInt16LE(h, i * 2);
    }
    header[name] = { dtype, shape: info.shape, data_offsets: [offset, offset + out.length] };
    offset += out.length;
    parts.push(out);
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(dst, Buffer.concat([len, json, ...parts]));
}

async function worstDiff(engine: Engine, name: (typeof FIXTURES)[number]): Promise<{ worst: number; checked: number }> {
  const ref = JSON.parse(readFileSync(path.join(fixture(name), 'reference.json'), 'utf8')) as { cases: RefCase[] };
  let worst = 0;
  let checked = 0;
  for (const c of ref.cases) {
    const { data, dims } = await engine.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
    const [, S, V] = dims;
    for (const m of c.masks) {
      const row = (m.batch_index * S + m.position) * V;
      m.top_ids.forEach((id, k) => (worst = Math.max(worst, Math.abs(data[row + id] - m.top_logits[k]))));
      let best = 0;
      for (let v = 1; v < V; v++) if (data[row + v] > data[row + best]) best = v;
      assert.equal(best, m.top_ids[0], `${c.name}: top token`);
    }
    if (c.logits_file) {
      const buf = readFileSync(path.join(fixture(name), c.logits_file));
      const expected = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      assert.equal(data.length, expected.length);
      for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - expected[i]));
      checked++;
    }
  }
  return { worst, checked };
}

describe('safetensors-only model folders', function () {
  this.timeout(120_000);
  let tmp: string;
  const oldCache = process.env.CLOZE_CACHE;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-st-'));
    process.env.CLOZE_CACHE = path.join(tmp, 'cache');
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    if (oldCache === undefined) delete process.env.CLOZE_CACHE;
    else process.env.CLOZE_CACHE = oldCache;
  });

  for (const name of FIXTURES) {
    it(`${name}: model.safetensors alone reproduces every reference logit through the Engine`, async () => {
      const dir = safetensorsOnlyCopy(name, path.join(tmp, name));
      const engine = await openModel(dir, { devices: ['cpu'] });
      try {
        assert.equal(engine.info.onnxFile, path.join(dir, '.cloze-onnx', 'onnx', 'model_masked.onnx'));
        assert.equal(engine.info.name, name);
        const { worst, checked } = await worstDiff(engine, name);
        assert.equal(checked, 2, 'both reference-*.f32 files were compared');
        assert.ok(worst <= TOL, `max |diff| ${worst}`);
      } finally {
        await engine.dispose();
      }
    });

    it(`${name}: without tokenizer.json, the tokenizer built from the vocabulary files gives the reference ids`, async () => {
      const dir = safetensorsOnlyCopy(name, path.join(tmp, `${name}-vocab`), ['tokenizer.json']);
      assert.ok(!existsSync(path.join(dir, 'tokenizer.json')));
      const engine = await openModel(dir, { devices: ['cpu'] });
      try {
        const ref = JSON.parse(readFileSync(path.join(fixture(name), 'reference.json'), 'utf8')) as { cases: RefCase[]; mask_token_id: number };
        assert.equal(engine.tokenizer.maskId, ref.mask_token_id);
        for (const c of ref.cases) {
          for (let b = 0; b < c.texts.length; b++) {
            assert.deepEqual(await engine.tokenizer.encodeFramed(c.texts[b]), c.input_ids[b].filter((_, i) => c.attention_mask[b][i] === 1), c.name);
          }
        }
        const preds = await engine.fill(ref.cases[0].texts[0], { topK: 3 });
        assert.equal(preds.length, ref.cases[0].masks.length);
      } finally {
        await engine.dispose();
      }
    });
  }

  for (const name of FIXTURES) {
    it(`${name}: sharded weights (model.safetensors.index.json + two shards) load, reproduce the reference, and train`, async () => {
      const dir = safetensorsOnlyCopy(name, path.join(tmp, `sharded-${name}`), ['model.safetensors']);
      writeShards(path.join(fixture(name), 'model.safetensors'), dir);
      assert.ok(!existsSync(path.join(dir, 'model.safetensors')));
      const logs: string[] = [];
      const engine = await openModel(dir, { devices: ['cpu'], log: (m) => logs.push(m) });
      try {
        assert.ok(logs.some((l) => /from 2 safetensors shards/.test(l)), logs.join('\n'));
        const { worst, checked } = await worstDiff(engine, name);
        assert.equal(checked, 2);
        assert.ok(worst <= TOL, `max |diff| ${worst}`);
        // The built folder links the index and both shards, so training can continue from it.
        for (const f of ['model.safetensors.index.json', ...SHARDS]) assert.ok(existsSync(path.join(engine.info.dir, f)), f);
        const fromBuilt = await importModel(engine.info.dir);
        const fromOnnx = await importModel(fixture(name));
        for (const [k, v] of fromOnnx.params) assert.ok(v.every((x, i) => Math.abs(x - fromBuilt.params.get(k)![i]) < 1e-6), k);
      } finally {
        await engine.dispose();
      }
    });
  }

  it('sharded: a shard missing from the folder is a clear error naming it', async () => {
    const dir = safetensorsOnlyCopy('bert-tiny-wordpiece', path.join(tmp, 'sharded-missing'), ['model.safetensors']);
    writeShards(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors'), dir);
    rmSync(path.join(dir, SHARDS[1]));
    await assert.rejects(openModel(dir, { devices: ['cpu'] }), (e: unknown) => e instanceof ClozeError && e.userMessage.includes(SHARDS[1]) && /missing/.test(e.userMessage));
  });

  it('reuses the built graph, and rebuilds it when the weights change', async () => {
    const dir = safetensorsOnlyCopy('bert-tiny-wordpiece', path.join(tmp, 'rebuild'));
    const onnxFile = path.join(dir, '.cloze-onnx', 'onnx', 'model_masked.onnx');
    let e = await openModel(dir, { devices: ['cpu'] });
    await e.dispose();
    const first = statSync(onnxFile).mtimeMs;
    const logs: string[] = [];
    e = await openModel(dir, { devices: ['cpu'], log: (m) => logs.push(m) });
    await e.dispose();
    assert.equal(statSync(onnxFile).mtimeMs, first, 'loaded from the cache');
    assert.ok(!logs.some((l) => l.includes('Built ONNX')));
    // Same size, new content and a new time: zero the decoder bias.
    const weights = path.join(dir, 'model.safetensors');
    const buf = readFileSync(weights);
    const st = parseSafetensors(buf);
    const [begin] = st.tensors.get('cls.predictions.bias')!.offsets;
    const dataStart = 8 + Number(buf.readBigUInt64LE(0));
    buf.fill(0, dataStart + begin, dataStart + begin + 4 * 6000);
    writeFileSync(weights, buf);
    utimesSync(weights, new Date(), new Date(Date.now() + 5000));
    e = await openModel(dir, { devices: ['cpu'], log: (m) => logs.push(m) });
    try {
      assert.ok(logs.some((l) => l.includes('Built ONNX')), 'rebuilt after the change');
      const { worst } = await worstDiff(e, 'bert-tiny-wordpiece').catch(() => ({ worst: Infinity }));
      assert.ok(worst > TOL, 'the new weights are in use');
    } finally {
      await e.dispose();
    }
  });

  for (const dtype of ['F16', 'BF16'] as const) {
    it(`reads ${dtype} weights (converted to float32): same top tokens as the reference`, async () => {
      const dir = safetensorsOnlyCopy('roberta-tiny-bpe', path.join(tmp, `half-${dtype}`), ['model.safetensors']);
      halfCopy(path.join(fixture('roberta-tiny-bpe'), 'model.safetensors'), path.join(dir, 'model.safetensors'), dtype);
      assert.equal(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors.get('lm_head.bias')!.dtype, dtype);
      const engine = await openModel(dir, { devices: ['cpu'] });
      try {
        const { worst } = await worstDiff(engine, 'roberta-tiny-bpe');
        assert.ok(worst < (dtype === 'F16' ? 0.05 : 0.3), `max |diff| ${worst}`);
        assert.ok(worst > 0, 'half precision changes the logits a little');
      } finally {
        await engine.dispose();
      }
    });
  }

  it('DistilBERT (DistilBertForMaskedLM names, no token types) reproduces the reference', async () => {
    // The BERT fixture as a DistilBERT: token type 0's row folded into the positions (every reference input is type 0).
    const dir = safetensorsOnlyCopy('bert-tiny-wordpiece', path.join(tmp, 'distilbert'), ['model.safetensors', 'config.json']);
    const bert = parseSafetensors(readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors')));
    const H = 96;
    const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    const rename: [RegExp, string][] = [
      [/^bert\.encoder\.layer\./, 'distilbert.transformer.layer.'], [/^bert\.embeddings\./, 'distilbert.embeddings.'],
      [/attention\.self\.query/, 'attention.q_lin'], [/attention\.self\.key/, 'attention.k_lin'], [/attention\.self\.value/, 'attention.v_lin'],
      [/attention\.output\.dense/, 'attention.out_lin'], [/attention\.output\.LayerNorm/, 'sa_layer_norm'],
      [/intermediate\.dense/, 'ffn.lin1'], [/\.output\.dense/, '.ffn.lin2'], [/\.output\.LayerNorm/, '.output_layer_norm'],
      [/^cls\.predictions\.transform\.dense/, 'vocab_transform'], [/^cls\.predictions\.transform\.LayerNorm/, 'vocab_layer_norm'], [/^cls\.predictions\.bias$/, 'vocab_projector.bias'],
    ];
    for (const [name, info] of bert.tensors) {
      if (name.includes('token_type_embeddings')) continue;
      let data = bert.read(name);
      if (name.endsWith('position_embeddings.weight')) {
        const type0 = bert.read('bert.embeddings.token_type_embeddings.weight').subarray(0, H);
        data = data.map((v, i) => v + type0[i % H]);
      }
      let n = name;
      for (const [re, to] of rename) n = n.replace(re, to);
      out.set(n, { shape: info.shape, data });
    }
    // DistilBERT checkpoints store the tied projector too.
    out.set('vocab_projector.weight', { shape: [6000, H], data: bert.read('bert.embeddings.word_embeddings.weight') });
    assert.ok([...out.keys()].every((k) => !k.startsWith('bert.') && !k.startsWith('cls.')), [...out.keys()].join(','));
    writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(out));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      architectures: ['DistilBertForMaskedLM'], model_type: 'distilbert', vocab_size: 6000, dim: H, n_layers: 2, n_heads: 3, hidden_dim: 384,
      max_position_embeddings: 128, activation: 'gelu', sinusoidal_pos_embds: false, pad_token_id: 0, dropout: 0.1, attention_dropout: 0.1,
    }));
    const engine = await openModel(dir, { devices: ['cpu'] });
    try {
      const { worst, checked } = await worstDiff(engine, 'bert-tiny-wordpiece');
      assert.equal(checked, 2);
      assert.ok(worst <= TOL, `max |diff| ${worst}`);
    } finally {
      await engine.dispose();
    }
  });

  it('parses F16 and BF16 values exactly', () => {
    const header = JSON.stringify({ a: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } });
    const buf = Buffer.alloc(8 + header.length + 12);
    buf.writeBigUInt64LE(BigInt(header.length));
    buf.write(header, 8);
    [0x3c00, 0xc000, 0x3800, 0x0001].forEach((h, i) => buf.writeUInt16LE(h, 8 + header.length + 2 * i));
    [0x3f80, 0xc0a0].forEach((h, i) => buf.writeUInt16LE(h, 8 + header.length + 8 + 2 * i));
    const st = parseSafetensors(buf);
    assert.deepEqual([...st.read('a')], [1, -2, 0.5, 2 ** -24]);
    assert.deepEqual([...st.read('b')], [1, -5]);
  });

  it('writes F16: half the bytes, each value rounded to the nearest half (ties to even), read back by the parser', () => {
    const values = new Float32Array([1, -2, 0.1, 65504, 70000, 2 ** -24, 1 + 2 ** -11, 1 + 3 * 2 ** -11]);
    const tensors = new Map([['w', { shape: [2, 4], data: values }], ['b', { shape: [1], data: new Float32Array([3.14159]) }]]);
    const f32 = encodeSafetensors(tensors);
    const f16 = encodeSafetensors(tensors, { format: 'pt' }, 'F16');
    const st = parseSafetensors(f16);
    assert.deepEqual(st.tensors.get('w')?.shape, [2, 4]);
    assert.equal(st.tensors.get('w')?.dtype, 'F16');
    const dataBytes = (b: Buffer): number => b.length - 8 - Number(b.readBigUInt64LE(0));
    assert.deepEqual([dataBytes(f32), dataBytes(f16)], [9 * 4, 9 * 2]);
    // 0.1 → 0x2e66; 65504 is the largest half; 70000 overflows to +Inf; 1 + 2^-11 ties down to 1, 1 + 3·2^-11 up to 1 + 2^-9.
    assert.deepEqual([...st.read('w')], [1, -2, 0.0999755859375, 65504, Infinity, 2 ** -24, 1, 1 + 2 ** -9]);
    assert.deepEqual([...st.read('b')], [3.140625]);
  });

  it('a truncated safetensors file is a model-corrupt error, not a crash', async () => {
    const dir = safetensorsOnlyCopy('bert-tiny-wordpiece', path.join(tmp, 'truncated'), ['model.safetensors']);
    const whole = readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors'));
    writeFileSync(path.join(dir, 'model.safetensors'), whole.subarray(0, whole.length - 1000));
    await assert.rejects(openModel(dir, { devices: ['cpu'] }), (e: unknown) => e instanceof ClozeError && e.code === 'model-corrupt' && /not a valid safetensors file/.test(e.userMessage));
  });

  it('pytorch_model.bin only: the error names the file Cloze needs', async () => {
    const dir = safetensorsOnlyCopy('bert-tiny-wordpiece', path.join(tmp, 'bin-only'), ['model.safetensors']);
    writeFileSync(path.join(dir, 'pytorch_model.bin'), 'not read');
    await assert.rejects(openModel(dir, { devices: ['cpu'] }), (e: unknown) => e instanceof ClozeError && /pytorch_model\.bin/.test(e.userMessage) && /model\.safetensors/.test(e.userMessage));
  });

  for (const name of FIXTURES) {
    it(`${name}: training can start from the safetensors folder (importModel gives the ONNX fixture's weights)`, async () => {
      const dir = safetensorsOnlyCopy(name, path.join(tmp, `train-${name}`));
      const fromSt = await importModel(dir);
      const fromOnnx = await importModel(fixture(name));
      assert.deepEqual(fromSt.config, fromOnnx.config);
      // Train on Workspace continues "the current model" from the folder the engine loaded: the built one.
      const engine = await openModel(dir, { devices: ['cpu'] });
      const fromBuilt = await importModel(engine.info.dir);
      await engine.dispose();
      assert.match(engine.info.dir, /\.cloze-onnx$/);
      assert.deepEqual(fromBuilt.config, fromOnnx.config);
      assert.deepEqual(fromBuilt.params.get('cls.predictions.bias'), fromSt.params.get('cls.predictions.bias'));
      assert.deepEqual([...fromSt.params.keys()].sort(), [...fromOnnx.params.keys()].sort());
      for (const [k, v] of fromOnnx.params) {
        const w = fromSt.params.get(k)!;
        let worst = 0;
        for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - w[i]));
        assert.ok(worst < 1e-6, `${k}: ${worst}`);
      }
    });
  }
});
