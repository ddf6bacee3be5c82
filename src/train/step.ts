// Runs the train / eval graphs with onnxruntime-node: feeds batches and optimizer state, reads results back.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { Batch } from './batch';
import { BertConfig, Params, paramShapes } from './model';
import { Graph } from './onnx/graph';
import { FloatDType, encodeModel } from './onnx/proto';
import { BatchShape, IO, StepHyper, adamwScalars, evalGraph, gradientGraph, trainLoopGraph } from './stepGraph';

export type { StepHyper } from './stepGraph';

/** AdamW state: `step` counts completed steps (the next one is step + 1); m, v are the moments, shaped as params. */
export interface OptimizerState {
  step: number;
  m: Params;
  v: Params;
}

/** Fixed sizes of a train step graph; stepsPerCall (K) is the most steps one `run` performs. */
export interface StepShape {
  batch: number;
  seq: number;
  maxMasked: number;
  stepsPerCall: number;
}

export interface SessionOptions {
  /** Intra-op threads (default: the machine's available parallelism). */
  threads?: number;
}

export const DEFAULT_HYPER: StepHyper = { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1.0 };

/** Zero moments at step 0 for `cfg`'s parameters. */
export function createOptimizerState(cfg: BertConfig): OptimizerState {
  const zeros = (): Params => new Map([...paramShapes(cfg)].map(([n, s]) => [n, new Float32Array(s.reduce((a, b) => a * b, 1))]));
  return { step: 0, m: zeros(), v: zeros() };
}

/**
 * Whether the training sessions' idle intra-op threads spin-wait for the next run (ORT's default). Set once by the
 * process or thread that trains (src/train/trainWorker.ts); each has its own copy of this module.
 */
let spinning = true;
export function setStepSpinning(on: boolean): void {
  spinning = on;
}

async function createSession(g: Graph, opts: SessionOptions | undefined): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(g.toProto()), {
    intraOpNumThreads: opts?.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
  });
}

function checkBatch(b: Batch, s: BatchShape): void {
  if (b.batch !== s.batch || b.seq !== s.seq || b.maxMasked !== s.maxMasked) {
    throw new Error(`batch is ${b.batch}×${b.seq} with ${b.maxMasked} label slots; this step was built for ${s.batch}×${s.seq} with ${s.maxMasked}`);
  }
  const tokens = s.batch * s.seq;
  if (b.inputIds.length !== tokens || b.attentionMask.length !== tokens) throw new Error('batch inputIds / attentionMask length is not batch × seq');
  if (b.maskedPositions.length !== s.maxMasked || b.labels.length !== s.maxMasked) throw new Error('batch maskedPositions / labels length is not maxMasked');
}

function tensorsOf(params: Params, shapes: Map<string, number[]>, what: string, feedName: (n: string) => string, feeds: Record<string, ort.Tensor>): void {
  for (const [name, shape] of shapes) {
    const data = params.get(name);
    if (!data) throw new Error(`${what} ${name} is missing`);
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${what} ${name} has ${data.length} values, expected [${shape.join(', ')}]`);
    feeds[feedName(name)] = new ort.Tensor('float32', data, shape);
  }
}

/** One batch's four input tensors, after checking it has the shape the graph was built for. */
function batchFeeds(batch: Batch, shape: BatchShape): Record<string, ort.Tensor> {
  checkBatch(batch, shape);
  const { batch: b, seq, maxMasked } = shape;
  return {
    [IO.inputIds]: new ort.Tensor('int64', batch.inputIds, [b, seq]),
    [IO.attentionMask]: new ort.Tensor('int64', batch.attentionMask, [b, seq]),
    [IO.maskedPositions]: new ort.Tensor('int64', batch.maskedPositions, [maxMasked]),
    [IO.labels]: new ort.Tensor('int64', batch.labels, [maxMasked]),
  };
}

/** What every step graph holds: its ONNX Runtime session and the parameter shapes it is fed; release() frees the session. */
abstract class StepSession {
  protected constructor(
    protected readonly session: ort.InferenceSession,
    protected readonly shapes: Map<string, number[]>,
  ) {}

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Concatenates one field of several batches into one int64 tensor with a leading steps axis. */
function stack(batches: readonly Batch[], field: 'inputIds' | 'attentionMask' | 'maskedPositions' | 'labels', dims: number[]): ort.Tensor {
  const per = batches[0][field].length;
  const out = new BigInt64Array(per * batches.length);
  batches.forEach((b, i) => out.set(b[field], i * per));
  return new ort.Tensor('int64', out, [batches.length, ...dims]);
}

/**
 * A masked-LM train step: forward, backward, global-norm clipping and AdamW, for up to `stepsPerCall` steps per
 * session call (an ONNX Loop), so the ~3 × parameter count of state crosses into ONNX Runtime once per call.
 * Deterministic: equal inputs and thread count give bit-identical results, however steps are split into calls.
 */
export class TrainStep extends StepSession {
  private constructor(
    session: ort.InferenceSession,
    readonly config: BertConfig,
    readonly shape: StepShape,
    readonly hyper: StepHyper,
    shapes: Map<string, number[]>,
  ) {
    super(session, shapes);
  }

  /** With `targetLosses`, run() also returns every target's own loss (for informed masking). */
  static async create(cfg: BertConfig, shape: StepShape, hyper: StepHyper, opts?: SessionOptions & { targetLosses?: boolean }): Promise<TrainStep> {
    if (!Number.isInteger(shape.stepsPerCall) || shape.stepsPerCall < 1) throw new Error('StepShape.stepsPerCall must be a positive integer');
    const session = await createSession(trainLoopGraph(cfg, shape, hyper, { targetLosses: opts?.targetLosses }), opts);
    return new TrainStep(session, cfg, { ...shape }, { ...hyper }, paramShapes(cfg));
  }

  /**
   * Runs batches.length (≤ stepsPerCall) AdamW steps; lrs[i] is step i's learning rate. Replaces the arrays in
   * `params`, `opt.m` and `opt.v` with the updated ones (the old arrays are not modified) and advances `opt.step`.
   * Returns each step's mean masked-LM loss and its gradient norm before clipping (and, when created with
   * targetLosses, each step's per-target losses, aligned with its batch's labels).
   */
  async run(params: Params, opt: OptimizerState, batches: Batch[], lrs: number[]): Promise<{ losses: number[]; gradNorms: number[]; targetLosses?: Float32Array[] }> {
    const k = batches.length;
    if (k < 1 || k > this.shape.stepsPerCall) throw new Error(`run takes 1..${this.shape.stepsPerCall} batches, got ${k}`);
    if (lrs.length !== k) throw new Error(`run got ${k} batches but ${lrs.length} learning rates`);
    batches.forEach((b) => checkBatch(b, this.shape));

    const updateScale = new Float32Array(k);
    const epsHat = new Float32Array(k);
    const decay = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      const s = adamwScalars(opt.step + i + 1, lrs[i], this.hyper);
      [updateScale[i], epsHat[i], decay[i]] = [s.updateScale, s.epsHat, s.decay];
    }
    const { batch, seq, maxMasked } = this.shape;
    const feeds: Record<string, ort.Tensor> = {
      [IO.steps]: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), []),
      [IO.inputIds]: stack(batches, 'inputIds', [batch, seq]),
      [IO.attentionMask]: stack(batches, 'attentionMask', [batch, seq]),
      [IO.maskedPositions]: stack(batches, 'maskedPositions', [maxMasked]),
      [IO.labels]: stack(batches, 'labels', [maxMasked]),
      [IO.updateScale]: new ort.Tensor('float32', updateScale, [k]),
      [IO.epsHat]: new ort.Tensor('float32', epsHat, [k]),
      [IO.decay]: new ort.Tensor('float32', decay, [k]),
    };
    tensorsOf(params, this.shapes, 'parameter', IO.param, feeds);
    tensorsOf(opt.m, this.shapes, 'Adam first moment', IO.m, feeds);
    tensorsOf(opt.v, this.shapes, 'Adam second moment', IO.v, feeds);

    const out = await this.session.run(feeds);
    for (const name of this.shapes.keys()) {
      params.set(name, out[IO.newParam(name)].data as Float32Array);
      opt.m.set(name, out[IO.newM(name)].data as Float32Array);
      opt.v.set(name, out[IO.newV(name)].data as Float32Array);
    }
    opt.step += k;
    const perTarget = out[IO.targetLosses]?.data as Float32Array | undefined;
    return {
      losses: Array.from(out[IO.losses].data as Float32Array),
      gradNorms: Array.from(out[IO.gradNorms].data as Float32Array),
      targetLosses: perTarget && batches.map((_, i) => perTarget.subarray(i * maxMasked, (i + 1) * maxMasked)),
    };
  }
}

/** Forward-only masked-LM evaluation of one batch: loss sum and top-1 / top-5 hits over its real labels. */
export class EvalStep extends StepSession {
  private constructor(session: ort.InferenceSession, readonly shape: BatchShape, shapes: Map<string, number[]>) {
    super(session, shapes);
  }

  static async create(cfg: BertConfig, shape: { batch: number; seq: number; maxMasked: number }, opts?: SessionOptions): Promise<EvalStep> {
    const session = await createSession(evalGraph(cfg, shape), opts);
    return new EvalStep(session, { ...shape }, paramShapes(cfg));
  }

  async run(params: Params, batch: Batch): Promise<{ lossSum: number; count: number; top1: number; top5: number }> {
    const feeds = batchFeeds(batch, this.shape);
    tensorsOf(params, this.shapes, 'parameter', IO.param, feeds);
    const out = await this.session.run(feeds);
    const scalar = (name: string) => (out[name].data as Float32Array)[0];
    return { lossSum: scalar(IO.lossSum), count: scalar(IO.count), top1: scalar(IO.top1), top5: scalar(IO.top5) };
  }
}

/**
 * Loss and every parameter's gradient for one batch, without an update — for gradient checks. float64 runs the
 * same graph in double precision (params are converted), so finite differences can check it tightly.
 */
export class GradientProbe extends StepSession {
  private constructor(session: ort.InferenceSession, readonly dtype: FloatDType, readonly shape: BatchShape, shapes: Map<string, number[]>) {
    super(session, shapes);
  }

  static async create(cfg: BertConfig, shape: BatchShape, dtype: FloatDType, opts?: SessionOptions): Promise<GradientProbe> {
    return new GradientProbe(await createSession(gradientGraph(cfg, shape, dtype), opts), dtype, { ...shape }, paramShapes(cfg));
  }

  async run(params: Map<string, Float32Array | Float64Array>, batch: Batch): Promise<{ loss: number; grads: Map<string, Float64Array> }> {
    const feeds = batchFeeds(batch, this.shape);
    for (const [name, shape] of this.shapes) {
      const data = params.get(name);
      if (!data) throw new Error(`parameter ${name} is missing`);
      feeds[IO.param(name)] = this.dtype === 'float32'
        ? new ort.Tensor('float32', Float32Array.from(data), shape)
        : new ort.Tensor('float64', Float64Array.from(data), shape);
    }
    const out = await this.session.run(feeds);
    const grads = new Map<string, Float64Array>();
    for (const name of this.shapes.keys()) grads.set(name, Float64Array.from(out[IO.grad(name)].data as Float32Array | Float64Array));
    return { loss: Number((out[IO.loss].data as Float32Array | Float64Array)[0]), grads };
  }
}
