// The ONNX graphs behind TrainStep / EvalStep: masked-LM loss, its gradients, AdamW with clipping inside a Loop of K
// steps, and the evaluation graph. Session handling lives in step.ts.
import { Tape } from './onnx/autodiff';
import { Graph, Value, attr } from './onnx/graph';
import { FloatDType } from './onnx/proto';
import { ParamValues, encode, mlmHead, paramInputs } from './bert';
import { BertConfig, paramShapes } from './model';
import { IGNORE_LABEL } from './batch';

export const IGNORE_INDEX = Number(IGNORE_LABEL);

/** Sizes fixed per graph: sequences per batch, tokens per sequence, label slots per batch. */
export interface BatchShape {
  readonly batch: number;
  readonly seq: number;
  readonly maxMasked: number;
}

export interface StepHyper {
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient L2 norm to this; 0 or Infinity disables clipping. */
  clipNorm: number;
}

/** Batch values as the loss reads them. */
interface BatchValues {
  readonly inputIds: Value; // int64 [batch, seq]
  readonly attentionMask: Value; // int64 [batch, seq]
  readonly maskedPositions: Value; // int64 [maxMasked], flat b·seq + s
  readonly labels: Value; // int64 [maxMasked], -100 = unused slot
}

/** Names of graph inputs and outputs, shared by the graph builders and the session wrappers. */
export const IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  maskedPositions: 'masked_positions',
  labels: 'labels',
  steps: 'steps',
  updateScale: 'update_scale',
  epsHat: 'eps_hat',
  decay: 'decay',
  param: (name: string) => `param.${name}`,
  m: (name: string) => `adam_m.${name}`,
  v: (name: string) => `adam_v.${name}`,
  newParam: (name: string) => `new.param.${name}`,
  newM: (name: string) => `new.adam_m.${name}`,
  newV: (name: string) => `new.adam_v.${name}`,
  grad: (name: string) => `grad.${name}`,
  loss: 'loss',
  losses: 'losses',
  gradNorms: 'grad_norms',
  targetLosses: 'target_losses',
  lossSum: 'loss_sum',
  count: 'count',
  top1: 'top1',
  top5: 'top5',
} as const;

function declareBatch(g: Graph, s: BatchShape, leading: (string | number)[] = []): BatchValues {
  return {
    inputIds: g.input(IO.inputIds, 'int64', [...leading, s.batch, s.seq]),
    attentionMask: g.input(IO.attentionMask, 'int64', [...leading, s.batch, s.seq]),
    maskedPositions: g.input(IO.maskedPositions, 'int64', [...leading, s.maxMasked]),
    labels: g.input(IO.labels, 'int64', [...leading, s.maxMasked]),
  };
}

/** Masked-LM logits [maxMasked, vocab] at the batch's masked positions only (the head is the costliest layer). */
function maskedLogits(t: Tape, cfg: BertConfig, p: ParamValues, b: BatchValues): Value {
  const hidden = encode(t, cfg, p, { inputIds: b.inputIds, attentionMask: b.attentionMask });
  return mlmHead(t, cfg, p, t.gatherRows(hidden, b.maskedPositions));
}

/** Loss and gradients: the core of the train step, on its own for gradient checks (float64 allowed). */
export function gradientGraph(cfg: BertConfig, shape: BatchShape, dtype: FloatDType): Graph {
  const g = new Graph('cloze_mlm_gradients');
  const t = new Tape(g, dtype);
  const p = paramInputs(g, cfg, dtype, 'param.');
  for (const v of p.values()) t.watch(v);
  const b = declareBatch(g, shape);
  const { loss } = t.crossEntropy(maskedLogits(t, cfg, p, b), b.labels, IGNORE_INDEX);
  g.output(loss, IO.loss, dtype, []);
  const grads = t.gradients(loss, [...p.values()]);
  for (const [name, shp] of paramShapes(cfg)) g.output(requireGrad(grads, p, name), IO.grad(name), dtype, shp);
  return g;
}

function requireGrad(grads: Map<Value, Value | undefined>, p: ParamValues, name: string): Value {
  const grad = grads.get(p.get(name)!);
  if (!grad) throw new Error(`the loss does not depend on parameter ${name}`);
  return grad;
}

/**
 * K train steps in one ONNX Loop, so parameters and Adam moments cross the JS boundary once per K steps.
 * Inputs: `steps` (int64 scalar K), params / moments (float32, loop-carried), each batch field stacked on a leading
 * axis of length K, and per-step AdamW scalars [K] for step t with rate lr: update_scale = lr·√(1−β2^t)/(1−β1^t),
 * eps_hat = eps·√(1−β2^t), decay = 1 − lr·weightDecay (see adamwScalars). Outputs: final params / moments,
 * losses [K], grad_norms [K] (global L2 norm before clipping). The update is torch.optim.AdamW's, rearranged:
 * p ← p·decay − update_scale · m / (√v + eps_hat). Weight decay applies to matrices (embeddings and Linear
 * weights), not to biases and LayerNorm parameters.
 */
export function adamwScalars(step: number, lr: number, h: StepHyper): { updateScale: number; epsHat: number; decay: number } {
  const sqrtBc2 = Math.sqrt(1 - h.beta2 ** step);
  return { updateScale: (lr * sqrtBc2) / (1 - h.beta1 ** step), epsHat: h.eps * sqrtBc2, decay: 1 - lr * h.weightDecay };
}

/**
 * With `targetLosses`, the graph also outputs `target_losses` [K, maxMasked]: each target's own loss in nats (entries
 * whose label is ignored hold junk), which informed masking feeds on. Without it the graph is exactly what it was.
 */
export function trainLoopGraph(cfg: BertConfig, shape: BatchShape, hyper: StepHyper, opts: { targetLosses?: boolean } = {}): Graph {
  const g = new Graph('cloze_mlm_train_loop');
  const shapes = paramShapes(cfg);
  const names = [...shapes.keys()];
  const steps = g.input(IO.steps, 'int64', []);
  const outer = {
    p: names.map((n) => g.input(IO.param(n), 'float32', shapes.get(n)!)),
    m: names.map((n) => g.input(IO.m(n), 'float32', shapes.get(n)!)),
    v: names.map((n) => g.input(IO.v(n), 'float32', shapes.get(n)!)),
  };
  const batches = declareBatch(g, shape, ['steps']);
  const perStep = {
    updateScale: g.input(IO.updateScale, 'float32', ['steps']),
    epsHat: g.input(IO.epsHat, 'float32', ['steps']),
    decay: g.input(IO.decay, 'float32', ['steps']),
  };

  const body = g.subgraph('train_step');
  const iter = body.input('iteration', 'int64', []);
  const condIn = body.input('condition_in', 'bool', []);
  const carried = {
    p: names.map((n) => body.input(`step.param.${n}`, 'float32', shapes.get(n)!)),
    m: names.map((n) => body.input(`step.adam_m.${n}`, 'float32', shapes.get(n)!)),
    v: names.map((n) => body.input(`step.adam_v.${n}`, 'float32', shapes.get(n)!)),
  };
  const pick = (all: Value) => body.op('Gather', [all, iter], { axis: attr.int(0) });
  const batch: BatchValues = {
    inputIds: pick(batches.inputIds),
    attentionMask: pick(batches.attentionMask),
    maskedPositions: pick(batches.maskedPositions),
    labels: pick(batches.labels),
  };

  const t = new Tape(body, 'float32');
  const p: ParamValues = new Map(names.map((n, i) => [n, t.watch(carried.p[i])]));
  const { loss, logProb } = t.crossEntropy(maskedLogits(t, cfg, p, batch), batch.labels, IGNORE_INDEX);
  const grads = t.gradients(loss, [...p.values()]);
  const gs = names.map((n) => requireGrad(grads, p, n));

  const update = body.scope('adamw', () => {
    const sq = gs.map((gr) => body.op('ReduceSumSquare', [gr], { keepdims: attr.int(0) }));
    const gradNorm = body.op('Sqrt', [body.op('Sum', sq)]);
    // The clip factor c is folded into the moment coefficients (m gets (1−β1)·c·g, v gets (1−β2)·c²·g²), and the
    // bias corrections into two per-step scalars, so each parameter sees as few elementwise passes as possible.
    let k1 = t.c(1 - hyper.beta1);
    let k2 = t.c(1 - hyper.beta2);
    if (hyper.clipNorm > 0 && Number.isFinite(hyper.clipNorm)) {
      // torch.nn.utils.clip_grad_norm_: scale by min(1, max_norm / (norm + 1e-6)).
      const ratio = body.op('Div', [t.c(hyper.clipNorm), body.op('Add', [gradNorm, t.c(1e-6)])]);
      const factor = body.op('Min', [ratio, t.c(1)]);
      k1 = body.op('Mul', [k1, factor]);
      k2 = body.op('Mul', [k2, body.op('Mul', [factor, factor])]);
    }
    const updateScale = pick(perStep.updateScale);
    const epsHat = pick(perStep.epsHat);
    const decay = pick(perStep.decay);
    const out = names.map((n, i) => {
      const gr = gs[i];
      const m = body.op('Add', [body.op('Mul', [carried.m[i], t.c(hyper.beta1)]), body.op('Mul', [gr, k1])]);
      const v = body.op('Add', [body.op('Mul', [carried.v[i], t.c(hyper.beta2)]), body.op('Mul', [body.op('Mul', [gr, gr]), k2])]);
      const step = body.op('Mul', [body.op('Div', [m, body.op('Add', [body.op('Sqrt', [v]), epsHat])]), updateScale]);
      const decays = shapes.get(n)!.length >= 2 && hyper.weightDecay !== 0;
      const base = decays ? body.op('Mul', [carried.p[i], decay]) : carried.p[i];
      return { p: body.op('Sub', [base, step]), m, v };
    });
    return { gradNorm, out };
  });

  body.output(body.op('Identity', [condIn]), 'condition_out', 'bool', []);
  names.forEach((n, i) => body.output(update.out[i].p, `step.new.param.${n}`, 'float32', shapes.get(n)!));
  names.forEach((n, i) => body.output(update.out[i].m, `step.new.adam_m.${n}`, 'float32', shapes.get(n)!));
  names.forEach((n, i) => body.output(update.out[i].v, `step.new.adam_v.${n}`, 'float32', shapes.get(n)!));
  body.output(loss, 'step.loss', 'float32', []);
  body.output(update.gradNorm, 'step.grad_norm', 'float32', []);
  if (opts.targetLosses) {
    // −log p(label) per target row; an ignored label (−100) is read at column 0 instead, and the caller skips it.
    const safe = body.op('Where', [body.op('Equal', [batch.labels, body.constant('int64', [IGNORE_INDEX], [])]), body.constant('int64', [0], []), batch.labels]);
    const picked = body.op('GatherElements', [logProb, body.op('Unsqueeze', [safe, body.ints([1])])], { axis: attr.int(1) });
    body.output(body.op('Neg', [body.op('Squeeze', [picked, body.ints([1])])]), 'step.target_losses', 'float32', [shape.maxMasked]);
  }

  const scanOutputs = opts.targetLosses ? 3 : 2;
  const outputs = g.opN('Loop', [steps, g.constant('bool', [1], []), ...outer.p, ...outer.m, ...outer.v], 3 * names.length + scanOutputs, {
    body: attr.graph(body),
  });
  names.forEach((n, i) => g.output(outputs[i], IO.newParam(n), 'float32', shapes.get(n)!));
  names.forEach((n, i) => g.output(outputs[names.length + i], IO.newM(n), 'float32', shapes.get(n)!));
  names.forEach((n, i) => g.output(outputs[2 * names.length + i], IO.newV(n), 'float32', shapes.get(n)!));
  g.output(outputs[3 * names.length], IO.losses, 'float32', ['steps']);
  g.output(outputs[3 * names.length + 1], IO.gradNorms, 'float32', ['steps']);
  if (opts.targetLosses) g.output(outputs[3 * names.length + 2], IO.targetLosses, 'float32', ['steps', shape.maxMasked]);
  return g;
}

/**
 * Forward-only evaluation: summed masked-LM loss over real labels, their count, and how many of them are the top-1
 * prediction or among the top 5 (all float32 scalars).
 */
export function evalGraph(cfg: BertConfig, shape: BatchShape): Graph {
  const g = new Graph('cloze_mlm_eval');
  const t = new Tape(g, 'float32');
  const p = paramInputs(g, cfg, 'float32', 'param.');
  const b = declareBatch(g, shape);
  const logits = maskedLogits(t, cfg, p, b);
  const { lossSum, count } = t.crossEntropy(logits, b.labels, IGNORE_INDEX);
  const k = Math.min(5, cfg.vocabSize);
  const [, top] = g.opN('TopK', [logits, g.ints([k])], 2, { axis: attr.int(-1) });
  const hits = g.op('Cast', [g.op('Equal', [top, g.op('Unsqueeze', [b.labels, g.ints([1])])])], { to: attr.int(1) });
  const topK = g.op('ReduceSum', [hits], { keepdims: attr.int(0) }); // at most one hit per row: labels are unique per row
  const first = g.op('Slice', [hits, g.ints([0]), g.ints([1]), g.ints([1])]);
  const top1 = g.op('ReduceSum', [first], { keepdims: attr.int(0) });
  g.output(lossSum, IO.lossSum, 'float32', []);
  g.output(count, IO.count, 'float32', []);
  g.output(top1, IO.top1, 'float32', []);
  g.output(topK, IO.top5, 'float32', []);
  return g;
}
