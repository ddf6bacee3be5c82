// Fill latency of the fused and int8 graphs beside the plain float graph of the same model, run interleaved (npm run bench -- --fused).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../src/core/engine';
import { encodeFusedModel, fusedInferenceGraph } from '../../src/train/fusedGraph';
import { importModel } from '../../src/train/import';
import { halveWeights } from '../../src/train/onnx/halfWeights';
import { decodeModel, onnx } from '../../src/train/onnx/proto';
import { quantizeModel } from '../../src/train/onnx/quantize';
import { quantizeAttention } from '../../src/train/onnx/quantizeAttention';
import { repoRoot } from '../paths';
import { interleave, summarize, textOfWindow, type LatencyStats, type TimedCase } from './fill';
import { modelsRoot, prepareModels } from './models';
import { ms, printTable, ratio } from './report';

export interface FusedBenchOptions {
  readonly runs: number;
  readonly warmup: number;
  readonly threads: number;
  readonly topK: number;
  readonly log?: (message: string) => void;
}

/** The variants, each a head-at-masks graph of the same weights. */
const VARIANTS = ['fp32', 'fused', 'int8', 'fused+int8'] as const;
type Variant = (typeof VARIANTS)[number];
const GRAPH_OF: Record<Variant, string> = {
  fp32: 'bert.ts inferenceGraph (Gemm, MatMul, Softmax, LayerNormalization, Gelu)',
  fused: 'fusedGraph.ts (Attention, BiasGelu)',
  int8: 'quantize.ts on the fp32 graph (every weight MatMul)',
  'fused+int8': 'the fused graph with QAttention (quantizeAttention.ts) and quantize.ts MatMuls',
};

interface Subject {
  readonly label: string;
  /** A folder with `onnx/model_masked.onnx` (our export) whose weights importModel reads. */
  readonly dir: string;
  readonly window: number;
}

export interface FusedCase {
  readonly variant: Variant;
  readonly kind: 'engine' | 'session';
  readonly ms: LatencyStats;
  /** fp32 p50 of the same kind / this p50 (> 1: faster than the plain float graph). */
  readonly speedupP50: number;
  /** Median over rounds of fp32 time / this time (same kind, same round). */
  readonly pairedSpeedup: number;
}

export interface FusedModelResult {
  readonly model: string;
  readonly windowTokens: number;
  /** Variants whose top-1 at the bench mask differs from fp32's (for the int8 ones a difference can be real). */
  readonly top1DiffersFromFp32: Variant[];
  readonly cases: FusedCase[];
}

const FOLDER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

/** One folder per variant, differing only in what `onnx/model_masked.onnx` holds, so the engine loads each as its float graph. */
async function variantFolders(s: Subject, log: (m: string) => void): Promise<Map<Variant, string>> {
  const { config, params } = await importModel(s.dir);
  const sourceBytes = await fs.readFile(path.join(s.dir, 'onnx', 'model_masked.onnx'));
  // A shipped model stores weights as float16 behind Casts (ORT folds them at load); store the fused graph alike.
  const halved = (decodeModel(sourceBytes).graph?.initializer ?? []).some((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16);
  const fused = decodeModel(encodeFusedModel(fusedInferenceGraph(config, params, { maskedPositions: true })));
  if (halved) halveWeights(fused);
  const fusedBytes = onnx.ModelProto.encode(fused).finish();
  const quantized = (bytes: Uint8Array): Uint8Array => {
    const m = decodeModel(bytes);
    quantizeAttention(m);
    quantizeModel(m);
    return onnx.ModelProto.encode(m).finish();
  };
  const graphs: Record<Variant, Uint8Array> = { fp32: sourceBytes, fused: fusedBytes, int8: quantized(sourceBytes), 'fused+int8': quantized(fusedBytes) };
  const out = new Map<Variant, string>();
  for (const v of VARIANTS) {
    const dir = path.join(modelsRoot, 'variants', `${s.label}-${v.replace('+', '-')}`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
    for (const f of FOLDER_FILES) {
      const src = path.join(s.dir, f);
      if (await fs.stat(src).then(() => true, () => false)) await fs.copyFile(src, path.join(dir, f));
    }
    await fs.writeFile(path.join(dir, 'onnx', 'model_masked.onnx'), graphs[v]);
    out.set(v, dir);
  }
  log(`${s.label}: fp32, fused, int8 and fused+int8 graphs under ${path.relative(repoRoot, path.join(modelsRoot, 'variants'))}`);
  return out;
}

/**
 * A bare session.run of `file` with prebuilt feeds: the floor under a fill of that graph. Its intra-op threads do not
 * spin-wait after a run, so the graphs' own costs are compared, not each session's wait for the others' spinning.
 */
async function bare(file: string, ids: readonly number[], maskPosition: number, threads: number): Promise<{ run: () => Promise<unknown>; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const int64 = (values: readonly number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = int64(ids, [1, ids.length]);
    else if (name === 'attention_mask') feeds[name] = int64(ids.map(() => 1), [1, ids.length]);
    else if (name === 'token_type_ids') feeds[name] = int64(ids.map(() => 0), [1, ids.length]);
    else if (name === 'mask_positions') feeds[name] = int64([maskPosition], [1, 1]);
    else throw new Error(`${file}: unexpected input ${name}`);
  }
  return { run: () => session.run(feeds), release: () => session.release() };
}

async function benchSubject(s: Subject, opts: FusedBenchOptions): Promise<FusedModelResult> {
  const log = opts.log ?? (() => undefined);
  const folders = await variantFolders(s, log);
  const engines = new Map<Variant, Engine>();
  for (const v of VARIANTS) engines.set(v, await Engine.load(folders.get(v)!, { devices: ['cpu'], threads: opts.threads, precision: 'fp32' }));
  const fp32 = engines.get('fp32')!;
  const window = s.window;
  const { text, maskPosition } = await textOfWindow(fp32.tokenizer, window, fp32.info.maskToken);
  const ids = await fp32.tokenizer.encodeFramed(text);
  const fill = { topK: opts.topK, contextTokens: window };
  const top1 = new Map<Variant, number | undefined>();
  for (const [v, e] of engines) {
    const p = (await e.fill(text, fill))[0];
    if (p.windowTokens !== window) throw new Error(`${s.label} ${v}: the engine's window is ${p.windowTokens} tokens, expected ${window}`);
    top1.set(v, p.candidates[0]?.id);
  }
  // Two passes, each with only its own four sessions alive. ORT's intra-op threads spin-wait after a run (the engine
  // keeps ORT's default), so on two loaded cores each engine run also waits out its neighbours' spinning: the engine
  // pass is what the service sees beside other sessions, the bare pass (no spinning) compares the graphs themselves.
  const cases: (TimedCase & { variant: Variant })[] = [];
  for (const v of VARIANTS) {
    const e = engines.get(v)!;
    cases.push({ variant: v, name: `engine.fill ${v}`, kind: 'engine', graph: v, run: () => e.fill(text, fill), samples: [] });
  }
  log(`${s.label}: ${window}-token window, engine.fill of ${VARIANTS.length} graphs × (${opts.warmup} warm-up + ${opts.runs} runs), interleaved …`);
  await interleave(cases, opts.warmup, opts.runs);
  for (const e of engines.values()) await e.dispose();
  const bares = new Map<Variant, Awaited<ReturnType<typeof bare>>>();
  for (const v of VARIANTS) bares.set(v, await bare(path.join(folders.get(v)!, 'onnx', 'model_masked.onnx'), ids, maskPosition, opts.threads));
  const sessionCases: (TimedCase & { variant: Variant })[] = VARIANTS.map((v) => ({ variant: v, name: `session.run ${v}`, kind: 'session', graph: v, run: bares.get(v)!.run, samples: [] }));
  log(`${s.label}: bare session.run of ${VARIANTS.length} graphs × (${opts.warmup} warm-up + ${opts.runs} runs), interleaved …`);
  await interleave(sessionCases, opts.warmup, opts.runs);
  for (const b of bares.values()) await b.release();
  cases.push(...sessionCases);

  const anchorOf = (kind: TimedCase['kind']) => cases.find((c) => c.variant === 'fp32' && c.kind === kind)!;
  return {
    model: s.label,
    windowTokens: window,
    top1DiffersFromFp32: VARIANTS.filter((v) => top1.get(v) !== top1.get('fp32')),
    cases: cases.map((c) => {
      const anchor = anchorOf(c.kind);
      const st = summarize(c.samples);
      return {
        variant: c.variant,
        kind: c.kind === 'session' ? 'session' : 'engine',
        ms: st,
        speedupP50: summarize(anchor.samples).p50 / st.p50,
        pairedSpeedup: summarize(c.samples.map((t, r) => anchor.samples[r] / t)).p50,
      };
    }),
  };
}

/** The main bench subject (random BERT 4 × 256, 256 tokens) and the shipped default model (2 × 128, 256 tokens). */
export async function benchFused(opts: FusedBenchOptions): Promise<{ method: string; runs: number; threads: number; models: FusedModelResult[] }> {
  const log = opts.log ?? (() => undefined);
  const [main] = await prepareModels('main', log);
  if (!main.maskedDir) throw new Error('the main bench subject has no head-at-masks graph');
  const subjects: Subject[] = [
    { label: 'bert-4x256-v6000-random', dir: main.maskedDir, window: main.windowTokens },
    { label: 'models-default', dir: path.join(repoRoot, 'models', 'default'), window: 256 },
  ];
  const models: FusedModelResult[] = [];
  for (const s of subjects) {
    const r = await benchSubject(s, opts);
    models.push(r);
    printTable(
      `Fill latency by graph, ms — ${r.model}, ${r.windowTokens}-token window, one mask, top-${opts.topK}, ${opts.threads} threads, ${opts.runs} interleaved runs each` +
        (r.top1DiffersFromFp32.length ? ` — top-1 differs from fp32 for ${r.top1DiffersFromFp32.join(', ')}` : ''),
      ['case', 'graph', 'p50', 'p95', 'mean', 'fp32/this p50', 'paired median'],
      r.cases.map((c) => [`${c.kind === 'engine' ? 'engine.fill' : '  session.run'} ${c.variant}`, GRAPH_OF[c.variant], ms(c.ms.p50), ms(c.ms.p95), ms(c.ms.mean), c.variant === 'fp32' ? 'anchor' : ratio(c.speedupP50), c.variant === 'fp32' ? '' : ratio(c.pairedSpeedup)]),
      ['left', 'left'],
    );
  }
  return {
    method:
      'One process, CPU execution provider, graph optimisation all, the same intra-op threads for every session. Four head-at-masks graphs of ' +
      'the same weights (plain float, fused, int8 of each), each in its own folder so the engine loads it as the float graph. Two passes, ' +
      'each with only its four sessions alive: engine.fill end to end, then a bare session.run with prebuilt feeds; every case once per ' +
      'round in rotating order; ratios against the plain fp32 case of the same pass; paired median = median over rounds of fp32 time / ' +
      'case time in the same round.',
    runs: opts.runs,
    threads: opts.threads,
    models,
  };
}
