// Training-throughput benchmark: our ONNX train step (1 step per call, and K = 8 in a Loop) on a 4-layer/256-hidden
// BERT, next to the machine's MatMul peak measured in the same run and, where Debian's python3-torch is installed,
// PyTorch eager on the same model and batch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Best-of-N GFLOP/s of a 2048³ float32 MatMul in onnxruntime-node with the benchmark's thread count. */
async function matmulPeak(): Promise<number> {
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
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

interface OrtResult { stepsPerCall: number; createMs: number; firstCallMs: number; medianStepMs: number; bestStepMs: number; tokensPerSecond: number; gflops: number; lossFirst: number; lossLast: number }

async function ortTraining(stepsPerCall: number, calls: number): Promise<OrtResult> {
  const r = rng(7);
  const batches = Array.from({ length: 8 }, () => syntheticBatch(r));
  const t0 = performance.now();
  const step = await TrainStep.create(MODEL, { ...SHAPE, stepsPerCall }, DEFAULT_HYPER, { threads: THREADS });
  const createMs = performance.now() - t0;
  const params = initParams(MODEL, rng(11));
  const opt = createOptimizerState(MODEL);
  const perStep: number[] = [];
  const losses: number[] = [];
  let firstCallMs = 0;
  for (let c = 0; c <= calls; c++) {
    const chunk = Array.from({ length: stepsPerCall }, (_, i) => batches[(c * stepsPerCall + i) % batches.length]);
    const a = performance.now();
    const out = await step.run(params, opt, chunk, chunk.map(() => 1e-3));
    const ms = performance.now() - a;
    if (c === 0) firstCallMs = ms; // session warm-up: not counted
    else perStep.push(ms / stepsPerCall);
    losses.push(...out.losses);
  }
  await step.release();
  const med = median(perStep);
  const tokens = SHAPE.batch * SHAPE.seq;
  return {
    stepsPerCall, createMs, firstCallMs, medianStepMs: med, bestStepMs: Math.min(...perStep),
    tokensPerSecond: tokens / (med / 1000), gflops: stepFlops() / (med / 1000) / 1e9,
    lossFirst: losses[0], lossLast: losses[losses.length - 1],
  };
}

/** The same model and batch in PyTorch eager (AdamW, clipping), via Debian's python3-torch when present. */
function torchTraining(steps: number): { medianStepMs: number; tokensPerSecond: number; gflops: number; version: string } | { skipped: string } {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'python3-torch is not installed (apt-get install python3-torch)' };
  const dir = mkdtempSync(path.join(tmpdir(), 'cloze-bench-'));
  const script = path.join(dir, 'torch_train.py');
  const { hidden: H, intermediate: F, layers: L, heads: NH, vocabSize: V, maxPositions: P } = MODEL;
  writeFileSync(script, `
import json, math, time, torch
torch.set_num_threads(${THREADS}); torch.manual_seed(0)
H, F, L, NH, V, P, B, S, M = ${H}, ${F}, ${L}, ${NH}, ${V}, ${P}, ${SHAPE.batch}, ${SHAPE.seq}, ${SHAPE.maxMasked}
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
        bias = ((1.0 - mask[:, None, None, :].float()) * -3.4e38)
        for l in s.layers: x = l(x, bias)
        h = x.reshape(B * S, H)[pos]
        logits = s.hln(nn.functional.gelu(s.dense(h))) @ s.word.weight.t() + s.bias
        return nn.functional.cross_entropy(logits, labels)
m = Bert(); opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
g = torch.Generator().manual_seed(1)
ids = torch.randint(5, V, (B, S), generator=g); mask = torch.ones(B, S, dtype=torch.long)
pos = torch.randperm(B * S, generator=g)[:M]; labels = ids.reshape(-1)[pos]
times = []
for i in range(${steps} + 2):
    t0 = time.perf_counter(); opt.zero_grad(); loss = m(ids, mask, pos, labels); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); times.append(time.perf_counter() - t0)
times = sorted(times[2:])
print(json.dumps({"median_ms": times[len(times) // 2] * 1000, "version": torch.__version__}))
`);
  const out = spawnSync(python, [script], { encoding: 'utf8', timeout: 600_000 });
  rmSync(dir, { recursive: true, force: true });
  if (out.status !== 0) return { skipped: `PyTorch run failed: ${out.stderr.trim().split('\n').pop()}` };
  const res = JSON.parse(out.stdout.trim().split('\n').pop()!) as { median_ms: number; version: string };
  const tokens = SHAPE.batch * SHAPE.seq;
  return { medianStepMs: res.median_ms, tokensPerSecond: tokens / (res.median_ms / 1000), gflops: stepFlops() / (res.median_ms / 1000) / 1e9, version: res.version };
}

/** Runs the training benchmark, prints a table and returns the numbers (JSON-able). */
export async function benchTraining(): Promise<object> {
  const peak = await matmulPeak();
  const single = await ortTraining(1, 10);
  const loop = await ortTraining(8, 3);
  const torch = torchTraining(10);
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const rows: [string, string, string, string, string][] = [
    ['', 'step (median)', 'tokens/s', 'GFLOP/s', '% of MatMul peak'],
    ['ORT train step, 1 step per call', `${fmt(single.medianStepMs)} ms`, fmt(single.tokensPerSecond), fmt(single.gflops, 1), `${fmt((100 * single.gflops) / peak)}%`],
    ['ORT train step, K = 8 in a Loop', `${fmt(loop.medianStepMs)} ms`, fmt(loop.tokensPerSecond), fmt(loop.gflops, 1), `${fmt((100 * loop.gflops) / peak)}%`],
    'skipped' in torch
      ? ['PyTorch eager', torch.skipped, '', '', '']
      : [`PyTorch ${torch.version} eager`, `${fmt(torch.medianStepMs)} ms`, fmt(torch.tokensPerSecond), fmt(torch.gflops, 1), `${fmt((100 * torch.gflops) / peak)}%`],
    ['prototype (DESIGN.md §4)', '', `${fmt(PROTOTYPE.tokensPerSecond)} / ${fmt(PROTOTYPE.tokensPerSecondLoop8)} (K=8)`, '', ''],
    ['MatMul 2048³ peak', '', '', fmt(peak, 1), '100%'],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`\nTraining throughput: ${MODEL.layers} layers, hidden ${MODEL.hidden}, ${MODEL.heads} heads, FFN ${MODEL.intermediate}, vocab ${MODEL.vocabSize} ` +
    `(${fmt(paramCount(MODEL))} params), batch ${SHAPE.batch} × ${SHAPE.seq}, ${SHAPE.maxMasked} masked, ${THREADS} threads, ${fmt(stepFlops() / 1e9, 1)} GFLOP/step`);
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const speedup = 'skipped' in torch ? undefined : loop.tokensPerSecond / torch.tokensPerSecond;
  if (speedup !== undefined) console.log(`  speed-up over PyTorch eager: ${fmt(single.tokensPerSecond / (torch as { tokensPerSecond: number }).tokensPerSecond, 2)}× (1 step/call), ${fmt(speedup, 2)}× (K = 8)`);
  return {
    model: MODEL, shape: SHAPE, threads: THREADS, gflopPerStep: stepFlops() / 1e9, matmulPeakGflops: peak,
    ort: { single, loop8: loop }, torch, prototype: PROTOTYPE,
    ratios: { loopVsPeak: loop.gflops / peak, singleVsPeak: single.gflops / peak, loopVsTorch: speedup ?? null },
  };
}

if (require.main === module && existsSync(__filename)) {
  benchTraining().then((r) => console.log(JSON.stringify(r, null, 2)), (e) => { console.error(e); process.exitCode = 1; });
}
