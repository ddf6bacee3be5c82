// Where int8's disagreement with fp32 comes from: quantises one group of MatMuls at a time and measures top-1 agreement and speed on held-out text.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { QUANTIZED_GRAPH } from '../../src/core/precision';
import { fromHalfBits } from '../../src/core/half';
import { decodeModel, onnx } from '../../src/train/onnx/proto';
import { quantizeModel, symmetricScale, type QuantizeOptions } from '../../src/train/onnx/quantize';
import { packDocuments } from '../../src/train/packer';
import * as ort from 'onnxruntime-node';
import { measureAgreement, measureLatency } from '../../src/train/quantizeCheck';
import { channelMaxima, exposeMatMulInputs } from '../../src/train/onnx/calibrate';
import { repoRoot } from '../paths';

const DT = onnx.TensorProto.DataType;

/**
 * Held-out text the bundled model never saw: this repository's own TypeScript and its Markdown prose; with HELD=eval
 * the model corpus's own held-out samples (test/fixtures/default-eval, what the card's int8 row is measured on).
 */
function heldOut(kind: 'code' | 'prose'): string[] {
  if (process.env.HELD === 'eval') {
    const dir = path.join(repoRoot, 'test', 'fixtures', 'default-eval', kind);
    return readdirSync(dir).sort().map((f) => readFileSync(path.join(dir, f), 'utf8'));
  }
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (kind === 'code' ? e.name.endsWith('.ts') : e.name.endsWith('.md')) files.push(p);
    }
  };
  if (kind === 'code') walk(path.join(repoRoot, 'src'));
  else {
    walk(path.join(repoRoot, 'docs'));
    files.push(path.join(repoRoot, 'README.md'), path.join(repoRoot, 'models', 'default', 'README.md'), path.join(repoRoot, 'models', 'default', 'DATA.md'));
  }
  return files.sort().map((f) => readFileSync(f, 'utf8'));
}

const GROUPS: Record<string, RegExp> = {
  qkv: /attention\.self\.(query|key|value)\.weight/,
  attnOut: /attention\.output\.dense\.weight/,
  ffnIn: /intermediate\.dense\.weight/,
  ffnOut: /layer\.\d+\.output\.dense\.weight/,
  layer0: /encoder\.layer\.0\./,
  layer1: /encoder\.layer\.1\./,
  layer2: /encoder\.layer\.2\./,
  // The last layer of models/default (3 layers): in a head-at-masks graph only its keys and values run on every token.
  l0ffnOut: /encoder\.layer\.0\.output\.dense\./,
  l0ffnIn: /encoder\.layer\.0\.intermediate\./,
  l0attn: /encoder\.layer\.0\.attention\./,
  ffnOutAll: /encoder\.layer\.\d+\.output\.dense\./,
  lastQOFfn: /encoder\.layer\.2\.(attention\.self\.query|attention\.output|intermediate|output)\./,
  headDense: /cls\.predictions\.transform\.dense\.weight/,
  decoder: /word_embeddings\.weight/,
};

/** Weight names of the graph's weight MatMuls (fp16 weights behind a Cast: the name without `__fp16`). */
function weightNames(model: onnx.IModelProto): string[] {
  const probe = decodeModel(onnx.ModelProto.encode(model).finish());
  return quantizeModel(probe).quantized;
}

/** Float graph whose weight matrices are rounded to int8 per output column and stored back as float: weight error alone. */
function roundWeightsOnly(model: onnx.IModelProto, skip: RegExp, mseScale = false): void {
  const g = model.graph as onnx.IGraphProto;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name as string, t]));
  for (const n of g.node ?? []) {
    if (n.opType !== 'Gemm') continue;
    const cast = (g.node ?? []).find((c) => c.output?.[0] === n.input?.[1]);
    const t = inits.get((cast?.opType === 'Cast' ? cast.input?.[0] : n.input?.[1]) as string);
    if (!t || (t.dims ?? []).length !== 2 || skip.test(t.name as string)) continue;
    const [R, C] = (t.dims ?? []).map(Number);
    const raw = t.rawData as Uint8Array;
    const bytes = new Uint8Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const v = t.dataType === DT.FLOAT16 ? Float32Array.from(new Uint16Array(bytes.buffer), fromHalfBits) : new Float32Array(bytes.buffer);
    const transB = n.attribute?.some((a) => a.name === 'transB' && Number(a.i) === 1) ?? false;
    // Output channel: a row of W when transB, else a column.
    const outs = transB ? R : C, ins = transB ? C : R;
    const at = (o: number, i: number) => (transB ? o * C + i : i * C + o);
    for (let o = 0; o < outs; o++) {
      const col = Float32Array.from({ length: ins }, (_, i) => v[at(o, i)]);
      const s = symmetricScale(col, 127, mseScale);
      for (let i = 0; i < ins; i++) v[at(o, i)] = Math.max(-127, Math.min(127, Math.round(v[at(o, i)] / s))) * s;
    }
    const name = `${t.name as string}__rounded`;
    g.initializer?.push({ name, dataType: DT.FLOAT, dims: [R, C], rawData: new Uint8Array(v.buffer) });
    n.input = [n.input?.[0] as string, name, ...(n.input ?? []).slice(2)];
  }
}

interface Variant {
  readonly name: string;
  readonly build: (model: onnx.IModelProto, all: string[]) => void;
}

function only(groups: string[], extra: QuantizeOptions = {}, except: string[] = []): Variant['build'] {
  return (model, all) => {
    const keep = all.filter((w) => !groups.some((gname) => GROUPS[gname].test(w)) || except.some((gname) => GROUPS[gname].test(w)));
    quantizeModel(model, { ...extra, keep });
  };
}

const ENCODER = ['qkv', 'attnOut', 'ffnIn', 'ffnOut'];
/** Calibration maxima for the SmoothQuant variants (set in main from text that is not the held-out text). */
const CALIB = new Map<string, Float32Array>();
const smooth = (alpha: number): QuantizeOptions => ({ smooth: { channelMax: CALIB, alpha } });
const VARIANTS: Variant[] = [
  { name: 'all int8 (head too)', build: (m) => quantizeModel(m) },
  { name: 'encoder int8, head float', build: only(ENCODER) },
  { name: '  only Q/K/V', build: only(['qkv']) },
  { name: '  only attention output', build: only(['attnOut']) },
  { name: '  only FFN in', build: only(['ffnIn']) },
  { name: '  only FFN out', build: only(['ffnOut']) },
  { name: '  only layer 0', build: only(['layer0']) },
  { name: '  only layer 1', build: only(['layer1']) },
  { name: '  only head dense', build: only(['headDense']) },
  { name: '  only decoder', build: only(['decoder']) },
  { name: 'encoder int8 w/o FFN out', build: only(['qkv', 'attnOut', 'ffnIn']) },
  { name: 'encoder, per-row activations', build: only(ENCODER, { activations: 'row' }) },
  { name: 'encoder w/o layer 0, per-row activations', build: only(ENCODER, { activations: 'row' }, ['layer0']) },
  { name: 'encoder int8 w/o the last layer', build: only(ENCODER, {}, ['layer2']) },
  { name: 'encoder int8, last layer only K/V', build: only(ENCODER, {}, ['lastQOFfn']) },
  { name: 'encoder int8 w/o layer 0', build: only(ENCODER, {}, ['layer0']) },
  { name: 'encoder int8 w/o layer 0 FFN out', build: only(ENCODER, {}, ['l0ffnOut']) },
  { name: 'encoder int8 w/o layer 0 FFN in', build: only(ENCODER, {}, ['l0ffnIn']) },
  { name: 'encoder int8 w/o layer 0 attention', build: only(ENCODER, {}, ['l0attn']) },
  { name: 'encoder int8 w/o layer 0 FFN', build: only(ENCODER, {}, ['l0ffnIn', 'l0ffnOut']) },
  { name: 'encoder, per-tensor weights', build: only(ENCODER, { perTensor: true }) },
  { name: 'encoder, uint8 weights', build: only(ENCODER, { weightType: 'uint8' }) },
  { name: 'encoder, reduce_range', build: only(ENCODER, { reduceRange: true }) },
  { name: 'weights rounded only (float acts), encoder', build: (m) => roundWeightsOnly(m, /cls\.|word_embeddings/) },
  { name: 'weights rounded only, MSE scales, encoder', build: (m) => roundWeightsOnly(m, /cls\.|word_embeddings/, true) },
  { name: 'smooth 0.5 encoder', build: only(ENCODER, smooth(0.5)) },
  { name: 'smooth 0.3 encoder', build: only(ENCODER, smooth(0.3)) },
  { name: 'smooth 0.7 encoder', build: only(ENCODER, smooth(0.7)) },
  { name: 'smooth 0.5 encoder, per-row', build: only(ENCODER, { ...smooth(0.5), activations: 'row' }) },
  { name: 'nbits8 b32 acc4 encoder', build: only(ENCODER, { blockwise: { bits: 8, blockSize: 32, accuracyLevel: 4 } }) },
  { name: 'nbits8 b64 acc4 encoder', build: only(ENCODER, { blockwise: { bits: 8, blockSize: 64, accuracyLevel: 4 } }) },
  { name: 'nbits8 b32 acc0 encoder', build: only(ENCODER, { blockwise: { bits: 8, blockSize: 32, accuracyLevel: 0 } }) },
  { name: 'nbits8 b128 acc4 encoder', build: only(ENCODER, { blockwise: { bits: 8, blockSize: 128, accuracyLevel: 4 } }) },
  { name: 'nbits8 b256 acc4 encoder', build: only(ENCODER, { blockwise: { bits: 8, blockSize: 256, accuracyLevel: 4 } }) },
  { name: 'nbits8 b32 acc4 encoder w/o layer 0', build: only(ENCODER, { blockwise: { bits: 8, blockSize: 32, accuracyLevel: 4 } }, ['layer0']) },
  { name: 'nbits4 b32 acc4 encoder', build: only(ENCODER, { blockwise: { bits: 4, blockSize: 32, accuracyLevel: 4 } }) },
  { name: 'nbits8 b32 acc4 all', build: (m) => quantizeModel(m, { blockwise: { bits: 8, blockSize: 32, accuracyLevel: 4 } }) },
  { name: 'encoder, MSE-searched weight scales', build: only(ENCODER, { mseScale: true }) },
];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * SPEED=1: every picked variant's engine alive at once (spinning is off), one fill each per round at a 256-token
 * window in rotating order; prints p50 and the paired median fp32 time / variant time.
 */
async function speed(dir: string, base: Uint8Array, all: string[], variants: Variant[], text: string, rounds: number): Promise<void> {
  const words = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
  const w = words[words.length >> 1];
  const offset = w.index ?? 0;
  const doc = text.slice(0, offset) + '<mask>' + text.slice(offset + w[0].length);
  const engines: { name: string; engine: Engine }[] = [{ name: 'fp32', engine: await Engine.load(dir, { devices: ['cpu'], threads: 2, precision: 'fp32' }) }];
  for (const v of variants) {
    const model = decodeModel(base);
    v.build(model, all);
    const vdir = mkdtempSync(path.join(os.tmpdir(), 'cloze-int8s-'));
    cpSync(dir, vdir, { recursive: true });
    writeFileSync(path.join(vdir, QUANTIZED_GRAPH), onnx.ModelProto.encode(model).finish());
    engines.push({ name: v.name.trim(), engine: await Engine.load(vdir, { devices: ['cpu'], threads: 2, precision: 'int8' }) });
    rmSync(vdir, { recursive: true, force: true });
  }
  const times = engines.map(() => [] as number[]);
  for (let r = 0; r < rounds + 5; r++) {
    for (let k = 0; k < engines.length; k++) {
      const i = (k + r) % engines.length;
      const t0 = process.hrtime.bigint();
      await engines[i].engine.fillAt(doc, offset, { contextTokens: 256 });
      if (r >= 5) times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  for (let i = 0; i < engines.length; i++) {
    const paired = median(times[i].map((t, r) => times[0][r] / t));
    console.log(`${engines[i].name.padEnd(44)} p50 ${median(times[i]).toFixed(2)} ms | paired fp32/variant ${paired.toFixed(2)}×`);
    await engines[i].engine.dispose();
  }
}

/**
 * PROBE=1: the largest |x| of each token row of every weight-MatMul input on the first 128 tokens of one held-out
 * text (two masks): the median row and the largest rows, to see whether outliers sit in tokens or in channels.
 */
async function probeRows(base: Uint8Array, dir: string, text: string): Promise<void> {
  const { graph, names } = exposeMatMulInputs(base);
  const session = await ort.InferenceSession.create(graph);
  const engine = await Engine.load(dir, { devices: ['cpu'], threads: 2, precision: 'fp32' });
  const data = await packDocuments(engine.tokenizer.framing(), [text], 128);
  await engine.dispose();
  const ids = BigInt64Array.from(data.ids.subarray(0, 128), (v) => BigInt(v));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [1, 128]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(128).fill(1n), [1, 128]),
    mask_positions: new ort.Tensor('int64', BigInt64Array.of(5n, 60n), [1, 2]),
  }, names);
  for (const n of names) {
    const t = out[n];
    const cols = t.dims[t.dims.length - 1];
    const v = t.data as Float32Array;
    const rows = Array.from({ length: v.length / cols }, (_, r) => v.subarray(r * cols, (r + 1) * cols).reduce((m, x) => Math.max(m, Math.abs(x)), 0));
    const top = rows.map((m, r) => [m, r]).sort((a, b) => b[0] - a[0]).slice(0, 4);
    console.log(`${n.padEnd(36)} rows ${String(rows.length).padStart(3)}  median row max ${median(rows).toFixed(2)}  largest: ${top.map(([m, r]) => `row ${r} ${m.toFixed(1)}`).join(', ')}`);
  }
  await session.release();
}

async function main(): Promise<void> {
  const pick = process.argv.slice(2);
  const maxMasked = Number(process.env.MASKS ?? 3000);
  const src = path.join(repoRoot, 'models', 'default');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cloze-int8v-'));
  cpSync(src, dir, { recursive: true });
  const base = readFileSync(path.join(dir, 'onnx', 'model_masked.onnx'));
  const all = weightNames(decodeModel(base));
  const texts = { code: heldOut('code'), prose: heldOut('prose') };
  if (pick.some((p) => p.includes('smooth'))) {
    // Calibrate on this repository's own code and docs — not the held-out eval samples (run with HELD=eval).
    const probe = await Engine.load(dir, { devices: ['cpu'], threads: 2, precision: 'fp32' });
    const saved = process.env.HELD;
    delete process.env.HELD;
    const calibText = [...heldOut('code'), ...heldOut('prose')];
    process.env.HELD = saved;
    for (const [k, v] of await channelMaxima(base, probe.tokenizer.framing(), calibText, { rows: Number(process.env.CALIB_ROWS ?? 64) })) CALIB.set(k, v);
    console.log(`calibrated ${CALIB.size} MatMul inputs`);
    await probe.dispose();
  }
  console.log(`models/default; held-out: ${texts.code.length} .ts files of src/, ${texts.prose.length} Markdown files; ≤ ${maxMasked} masks each; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (process.env.PROBE === '1') {
    await probeRows(base, dir, texts.prose[0]);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (process.env.SPEED === '1') {
    await speed(dir, base, all, VARIANTS.filter((x) => pick.some((p) => x.name.includes(p))), readFileSync(path.join(repoRoot, 'src', 'core', 'engine.ts'), 'utf8').slice(0, 6000), Number(process.env.ROUNDS ?? 60));
    console.log(`load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const fp32 = await Engine.load(dir, { devices: ['cpu'], threads: 2, precision: 'fp32' });
  try {
    for (const v of VARIANTS.filter((x) => !pick.length || pick.some((p) => x.name.includes(p)))) {
      const model = decodeModel(base);
      v.build(model, all);
      writeFileSync(path.join(dir, QUANTIZED_GRAPH), onnx.ModelProto.encode(model).finish());
      const int8 = await Engine.load(dir, { devices: ['cpu'], threads: 2, precision: 'int8' });
      try {
        const row: string[] = [v.name.padEnd(44)];
        for (const kind of ['code', 'prose'] as const) {
          const a = await measureAgreement(fp32, int8, texts[kind], { maxMasked });
          row.push(`${kind} ${(100 * a.agreement).toFixed(2)}% (${a.maskedTokens}) top1 ${(100 * a.top1Fp32).toFixed(2)}→${(100 * a.top1Int8).toFixed(2)} Δ${a.maxAbsLogitDelta.toFixed(2)}`);
        }
        if (process.env.TIME !== '0') {
          const l = await measureLatency(fp32, int8, texts.code.slice(0, 12), Number(process.env.ROUNDS ?? 5));
          row.push(`fp32/int8 ${l.speedup.toFixed(2)}× (${l.fp32Ms.toFixed(1)}/${l.int8Ms.toFixed(1)} ms)`);
        }
        console.log(row.join(' | '));
      } finally {
        await int8.dispose();
      }
    }
  } finally {
    await fp32.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
