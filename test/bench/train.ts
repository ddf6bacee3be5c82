// Training-throughput benchmark: our ONNX train step (1 step per call, and K = 8 in a Loop) on a 4-layer/256-hidden
// BERT, next to the machine's MatMul peak measured in the same run and, where Debian's python3-torch is installed,
// PyTorch eager on the same model and batch.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';
import { Batch } from '../../src/train/batch';
import { BertConfig, initParams, paramCount } from '../../src/train/model';
import { Graph } from '../../src/train/onnx/graph';
import { encodeModel } from '../../src/train/onnx/proto';
import { DEFAULT_HYPER, TrainStep, createOptimizerState } from '../../src/train/step';

const MODEL: BertConfig = {
  vocabSize: 8192, hidden: 256, layers: 4, heads: 4, intermediate: 1024, maxPositions: 512, typeVocabSize: 2,
  layerNormEps: 1e-12, positionOffset: 0, padTokenId: 0, initRange: 0.02, modelType: 'bert',
};
const SHAPE = { batch: 16, seq: 128, maxMasked: 320 };
const THREADS = 2;
const PROTOTYPE = { tokensPerSecond: 4400, tokensPerSecondLoop8: 5700 };

/** One mulberry32 stream: the benchmark's data and init are the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticBatch(r: () => number): Batch {
  const n = SHAPE.batch * SHAPE.seq;
  const ids = BigInt64Array.from({ length: n }, () => BigInt(5 + Math.floor(r() * (MODEL.vocabSize - 5))));
  const picked = new Set<number>();
  while (picked.size < SHAPE.maxMasked) picked.add(Math.floor(r() * n));
  const positions = [...picked].sort((a, b) => a - b);
  return {
    ...SHAPE,
    inputIds: ids,
    attentionMask: new BigInt64Array(n).fill(1n),
    maskedPositions: BigInt64Array.from(positions, BigInt),
    labels: BigInt64Array.from(positions, (p) => ids[p]),
  };
}

/** Floating-point operations of one train step: forward + backward ≈ 3 × forward (matmuls only). */
function stepFlops(): number {
  const { hidden: H, intermediate: F, layers: L, vocabSize: V } = MODEL;
  const tokens = SHAPE.batch * SHAPE.seq;
  const perTokenLayer = 2 * (4 * H * H + 2 * H * F) + 2 * 2 * SHAPE.seq * H;
  const head = SHAPE.maxMasked * 2 * (H * H + H * V);
  return 3 * (tokens * L * perTokenLayer + head);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A 2048³ float32 MatMul in onnxruntime-node with the benchmark's thread count: one call is one peak sample. */
async function matmulPeakProbe(): Promise<{ sample: () => Promise<number>; release: () => Promise<void> }> {
  const n = 2048;
  const g = new Graph('matmul_peak');
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  g.output(g.op('MatMul', [a, b]), 'c', 'float32', [n, n]);
  const s = await ort.InferenceSession.create(encodeModel(g.toProto()), { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const r = rng(3);
  const feeds = {
    a: new ort.Tensor('float32', Float32Array.from({ length: n * n }, r), [n, n]),
    b: new ort.Tensor('float32', Float32Array.from({ length: n * n }, r), [n, n]),
  };
  await s.run(feeds);
  return {
    sample: async () => {
      const t0 = performance.now();
      await s.run(feeds);
      return (2 * n ** 3) / ((performance.now() - t0) / 1000) / 1e9;
    },
    release: () => s.release(),
  };
}

/** Our train step with `stepsPerCall` steps per session call; one sample is one call's time per step. */
async function ortProbe(stepsPerCall: number): Promise<{ createMs: number; firstCallMs: number; sample: () => Promise<number>; losses: number[]; release: () => Promise<void> }> {
  const r = rng(7);
  const batches = Array.from({ length: 8 }, () => syntheticBatch(r));
  const t0 = performance.now();
  const step = await TrainStep.create(MODEL, { ...SHAPE, stepsPerCall }, DEFAULT_HYPER, { threads: THREADS });
  const createMs = performance.now() - t0;
  const params = initParams(MODEL, rng(11));
  const opt = createOptimizerState(MODEL);
  const losses: number[] = [];
  let call = 0;
  const sample = async () => {
    const chunk = Array.from({ length: stepsPerCall }, (_, i) => batches[(call * stepsPerCall + i) % batches.length]);
    call++;
    const a = performance.now();
    const out = await step.run(params, opt, chunk, chunk.map(() => 1e-3));
    losses.push(...out.losses);
    return (performance.now() - a) / stepsPerCall;
  };
  const firstCallMs = await sample(); // session warm-up: reported, not counted
  return { createMs, firstCallMs, sample, losses, release: () => step.release() };
}

/** The same model, batch and optimizer in PyTorch eager, as a worker that runs one step per request. */
const TORCH_WORKER = `
import json, math, sys, time, torch
torch.set_num_threads(${THREADS}); torch.manual_seed(0)
H, F, L, NH, V, P, B, S, M = ${MODEL.hidden}, ${MODEL.intermediate}, ${MODEL.layers}, ${MODEL.heads}, ${MODEL.vocabSize}, ${MODEL.maxPositions}, ${SHAPE.batch}, ${SHAPE.seq}, ${SHAPE.maxMasked}
nn = torch.nn
class Layer(nn.Module):
    def __init__(s):
        super().__init__(); s.q, s.k, s.v, s.o = (nn.Linear(H, H) for _ in range(4))
        s.ln1, s.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12); s.f1, s.f2 = nn.Linear(H, F), nn.Linear(F, H)
    def forward(s, x, bias):
        sp = lambda t: t.view(B, S, NH, H // NH).transpose(1, 2)
        a = torch.softmax(sp(s.q(x)) @ sp(s.k(x)).transpose(-1, -2) / math.sqrt(H // NH) + bias, -1) @ sp(s.v(x))
        x = s.ln1(x + s.o(a.transpose(1, 2).reshape(B, S, H)))
        return s.ln2(x + s.f2(nn.functional.gelu(s.f1(x))))
class Bert(nn.Module):
    def __init__(s):
        super().__init__(); s.word, s.pos, s.typ = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(2, H)
        s.ln = nn.LayerNorm(H, eps=1e-12); s.layers = nn.ModuleList(Layer() for _ in range(L))
        s.dense, s.hln, s.bias = nn.Linear(H, H), nn.LayerNorm(H, eps=1e-12), nn.Parameter(torch.zeros(V))
    def forward(s, ids, mask, pos, labels):
        x = s.ln(s.word(ids) + s.pos.weight[:S] + s.typ.weight[0])
        bias = (1.0 - mask[:, None, None, :].float()) * -3.4e38
        for l in s.layers: x = l(x, bias)
        h = x.reshape(B * S, H)[pos]
        logits = s.hln(nn.functional.gelu(s.dense(h))) @ s.word.weight.t() + s.bias
        return nn.functional.cross_entropy(logits, labels)
m = Bert(); opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
g = torch.Generator().manual_seed(1)
ids = torch.randint(5, V, (B, S), generator=g); mask = torch.ones(B, S, dtype=torch.long)
pos = torch.randperm(B * S, generator=g)[:M]; labels = ids.reshape(-1)[pos]
libs = ' '.join({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l or 'mkl' in l})
blas = 'OpenBLAS' if 'openblas' in libs else 'MKL' if 'mkl' in libs else 'reference BLAS (install libopenblas0)' if '/blas/' in libs else 'BLAS unknown'
print(json.dumps({"version": torch.__version__, "blas": blas}), flush=True)
for line in sys.stdin:
    t0 = time.perf_counter(); opt.zero_grad(); loss = m(ids, mask, pos, labels); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "loss": loss.item()}), flush=True)
`;

async function torchProbe(): Promise<{ version: string; blas: string; sample: () => Promise<number>; release: () => Promise<void> } | { skipped: string }> {
  const python = '/usr/bin/python3';
  if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) {
    return { skipped: 'python3-torch is not installed (apt-get install python3-torch)' };
  }
  const child = spawn(python, ['-c', TORCH_WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error(`PyTorch worker exited: ${stderr.trim().split('\n').pop()}`);
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  try {
    const { version, blas } = await next();
    const sample = async () => {
      child.stdin.write('step\n');
      return (await next()).ms as number;
    };
    for (let i = 0; i < 3; i++) await sample(); // warm-up: the first steps are several times slower
    return { version: String(version), blas: String(blas), sample, release: async () => { child.stdin.end(); child.kill(); } };
  } catch (e) {
    child.kill();
    return { skipped: `PyTorch worker failed: ${(e as Error).message}` };
  }
}

/**
 * Runs the training benchmark, prints a table and returns the numbers (JSON-able). Each round takes one sample of
 * every contestant in turn (MatMul peak, our step at 1 and at K = 8 steps per call, PyTorch), so their ratios hold
 * even while other work shares the machine; medians over the rounds are reported.
 */
export async function benchTraining(opts: { rounds?: number } = {}): Promise<object> {
  const rounds = opts.rounds ?? 8;
  const peakProbe = await matmulPeakProbe();
  const single = await ortProbe(1);
  const loop = await ortProbe(8);
  const torch = await torchProbe();
  const samples = { peak: [] as number[], single: [] as number[], loop: [] as number[], torch: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    samples.peak.push(await peakProbe.sample());
    samples.single.push(await single.sample());
    samples.loop.push(await loop.sample());
    if (!('skipped' in torch)) samples.torch.push(await torch.sample());
  }
  await Promise.all([peakProbe.release(), single.release(), loop.release(), 'skipped' in torch ? undefined : torch.release()]);

  const tokens = SHAPE.batch * SHAPE.seq;
  const flops = stepFlops();
  const peak = median(samples.peak);
  const summary = (ms: number[]) => {
    const med = median(ms);
    return { medianStepMs: med, bestStepMs: Math.min(...ms), tokensPerSecond: tokens / (med / 1000), gflops: flops / (med / 1000) / 1e9, ofPeak: flops / (med / 1000) / 1e9 / peak };
  };
  const ortSingle = { ...summary(samples.single), createMs: single.createMs, firstCallMs: single.firstCallMs };
  const ortLoop = { ...summary(samples.loop), createMs: loop.createMs, firstCallMs: loop.firstCallMs };
  const torchResult = 'skipped' in torch ? torch : { ...summary(samples.torch), version: torch.version, blas: torch.blas };

  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const row = (name: string, x: { medianStepMs: number; tokensPerSecond: number; gflops: number; ofPeak: number }): string[] =>
    [name, `${fmt(x.medianStepMs)} ms`, fmt(x.tokensPerSecond), fmt(x.gflops, 1), `${fmt(100 * x.ofPeak)}%`];
  const rows: string[][] = [
    ['', 'step (median)', 'tokens/s', 'GFLOP/s', 'of MatMul peak'],
    row('ORT train step, 1 step per call', ortSingle),
    row('ORT train step, K = 8 in a Loop', ortLoop),
    'skipped' in torchResult ? ['PyTorch eager', torchResult.skipped, '', '', ''] : row(`PyTorch ${torchResult.version} eager (${torchResult.blas || 'BLAS unknown'})`, torchResult),
    ['MatMul 2048³ (peak)', '', '', fmt(peak, 1), '100%'],
    ['prototype, same model (DESIGN.md §4)', '', `${fmt(PROTOTYPE.tokensPerSecond)} / ${fmt(PROTOTYPE.tokensPerSecondLoop8)} K=8`, '', ''],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  console.log(`\nTraining throughput: ${MODEL.layers} layers, hidden ${MODEL.hidden}, ${MODEL.heads} heads, FFN ${MODEL.intermediate}, vocab ${MODEL.vocabSize} ` +
    `(${fmt(paramCount(MODEL))} params), batch ${SHAPE.batch} × ${SHAPE.seq}, ${SHAPE.maxMasked} masked, ${THREADS} threads, ` +
    `${fmt(flops / 1e9, 1)} GFLOP/step; medians of ${rounds} interleaved rounds`);
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const vsTorch = 'skipped' in torchResult ? null : { single: ortSingle.tokensPerSecond / torchResult.tokensPerSecond, loop8: ortLoop.tokensPerSecond / torchResult.tokensPerSecond };
  if (vsTorch) console.log(`  vs PyTorch eager: ${fmt(vsTorch.single, 2)}× (1 step per call), ${fmt(vsTorch.loop8, 2)}× (K = 8)`);
  console.log(`  session create ${fmt(single.createMs)} / ${fmt(loop.createMs)} ms, first call ${fmt(single.firstCallMs)} / ${fmt(loop.firstCallMs)} ms per step (K = 1 / 8)`);
  return {
    model: MODEL, shape: SHAPE, threads: THREADS, rounds, gflopPerStep: flops / 1e9, matmulPeakGflops: peak,
    ort: { single: ortSingle, loop8: ortLoop }, torch: torchResult, prototype: PROTOTYPE,
    ratios: { loop8OfPeak: ortLoop.ofPeak, singleOfPeak: ortSingle.ofPeak, vsTorch },
    samples,
  };
}

if (require.main === module) {
  benchTraining().then((r) => console.log(JSON.stringify(r, null, 2)), (e) => { console.error(e); process.exitCode = 1; });
}
