// Reverse-mode autodiff over the graph builder: each differentiable op records, on a tape, how to emit its backward
// as ONNX nodes; `gradients()` replays the tape in reverse. Only the ops a BERT-family encoder needs.
import { Graph, Value, attr } from './graph';
import { FloatDType } from './proto';

type Accumulate = (input: Value, grad: Value) => void;
interface TapeEntry {
  readonly outputs: readonly Value[];
  readonly backward: (outputGrads: readonly (Value | undefined)[], acc: Accumulate) => void;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Records differentiable ops on a graph. A value needs a gradient when it was `watch`ed or computed from one that
 * was; ops whose inputs need none are emitted without a tape entry, so no dead backward nodes are generated.
 * `dtype` is the float type of the activations: float64 graphs exist for gradient checking (ONNX Runtime's CPU
 * provider has no float64 Erf, so there erf is composed from elementary ops, accurate to 1.2e-7).
 */
export class Tape {
  private readonly entries: TapeEntry[] = [];
  private readonly needsGrad = new Set<Value>();

  constructor(readonly g: Graph, readonly dtype: FloatDType) {}

  watch(v: Value): Value {
    this.needsGrad.add(v);
    return v;
  }

  /** A scalar constant of the activation dtype. */
  c(value: number): Value {
    return this.g.scalar(this.dtype, value);
  }

  private record(outputs: readonly Value[], inputs: readonly Value[], backward: TapeEntry['backward']): void {
    if (!inputs.some((i) => this.needsGrad.has(i))) return;
    outputs.forEach((o) => this.needsGrad.add(o));
    this.entries.push({ outputs, backward });
  }

  /**
   * Emits the backward pass of scalar `loss` and returns d loss / d v for each of `wrt` (undefined where the loss
   * does not depend on it). Call once, after the forward is complete. With `seed` (shaped like `loss`, which then
   * need not be a scalar) it returns the vector–Jacobian products seedᵀ · d loss / d v instead.
   */
  gradients(loss: Value, wrt: readonly Value[], seed?: Value): Map<Value, Value | undefined> {
    const pending = new Map<Value, Value[]>();
    const acc: Accumulate = (input, grad) => {
      if (!this.needsGrad.has(input)) return;
      const list = pending.get(input);
      if (list) list.push(grad);
      else pending.set(input, [grad]);
    };
    const total = (v: Value): Value | undefined => {
      const list = pending.get(v);
      if (!list || list.length === 0) return undefined;
      if (list.length > 1) pending.set(v, [this.g.op('Sum', list)]);
      return pending.get(v)![0];
    };
    pending.set(loss, [seed ?? this.c(1)]);
    this.g.scope('grad', () => {
      for (let i = this.entries.length - 1; i >= 0; i--) {
        const e = this.entries[i];
        const gs = e.outputs.map(total);
        if (gs.some((x) => x !== undefined)) e.backward(gs, acc);
      }
    });
    return new Map(wrt.map((v) => [v, total(v)]));
  }

  // ---- differentiable ops -------------------------------------------------------------------------------------

  /** x[N,in] · w[in,out] (+ b[out]) — a Linear layer with weights stored input-major. */
  linear(x: Value, w: Value, b?: Value): Value {
    const y = this.g.op('Gemm', b ? [x, w, b] : [x, w]);
    this.record([y], b ? [x, w, b] : [x, w], ([gy], acc) => {
      acc(x, this.g.op('Gemm', [gy!, w], { transB: attr.int(1) }));
      acc(w, this.g.op('Gemm', [x, gy!], { transA: attr.int(1) }));
      if (b) acc(b, this.sumRows(gy!));
    });
    return y;
  }

  /** x[N,in] · w[out,in]ᵀ (+ b[out]) — e.g. a decoder tied to an embedding table w[vocab,hidden]. */
  linearTransposed(x: Value, w: Value, b?: Value): Value {
    const y = this.g.op('Gemm', b ? [x, w, b] : [x, w], { transB: attr.int(1) });
    this.record([y], b ? [x, w, b] : [x, w], ([gy], acc) => {
      acc(x, this.g.op('Gemm', [gy!, w]));
      acc(w, this.g.op('Gemm', [gy!, x], { transA: attr.int(1) }));
      if (b) acc(b, this.sumRows(gy!));
    });
    return y;
  }

  /** Batched matrix product of two rank-4 tensors [b, h, m, k] · [b, h, k, n] (equal batch dims, no broadcast). */
  matmul4(a: Value, b: Value): Value {
    const y = this.g.op('MatMul', [a, b]);
    const swap = { perm: attr.ints([0, 1, 3, 2]) };
    this.record([y], [a, b], ([gy], acc) => {
      if (this.needsGrad.has(a)) acc(a, this.g.op('MatMul', [gy!, this.g.op('Transpose', [b], swap)]));
      if (this.needsGrad.has(b)) acc(b, this.g.op('MatMul', [this.g.op('Transpose', [a], swap), gy!]));
    });
    return y;
  }

  /** a + b. Operands that need a gradient must have the result's shape; one that needs none may broadcast. */
  add(a: Value, b: Value): Value {
    const y = this.g.op('Add', [a, b]);
    this.record([y], [a, b], ([gy], acc) => {
      acc(a, gy!);
      acc(b, gy!);
    });
    return y;
  }

  /** x + b where b is broadcast along x's leading `axes`; b's gradient sums over them and takes b's shape. */
  addBroadcast(x: Value, b: Value, axes: readonly number[]): Value {
    const y = this.g.op('Add', [x, b]);
    this.record([y], [x, b], ([gy], acc) => {
      acc(x, gy!);
      if (!this.needsGrad.has(b)) return;
      const summed = this.g.op('ReduceSum', [gy!, this.g.ints(axes)], { keepdims: attr.int(0) });
      acc(b, this.g.op('Reshape', [summed, this.g.op('Shape', [b])]));
    });
    return y;
  }

  /** The first `count` rows of `table` [rows, width] (`count`: int64 [1]); the gradient is zero-padded back. */
  leadingRows(table: Value, count: Value): Value {
    const y = this.g.op('Slice', [table, this.g.ints([0]), count, this.g.ints([0])]);
    this.record([y], [table], ([gy], acc) => {
      const rows = this.g.op('Slice', [this.g.op('Shape', [table]), this.g.ints([0]), this.g.ints([1])]);
      const missing = this.g.op('Sub', [rows, count]);
      const pads = this.g.op('Concat', [this.g.ints([0, 0]), missing, this.g.ints([0])], { axis: attr.int(0) });
      acc(table, this.g.op('Pad', [gy!, pads]));
    });
    return y;
  }

  scale(x: Value, factor: number): Value {
    const y = this.g.op('Mul', [x, this.c(factor)]);
    this.record([y], [x], ([gy], acc) => acc(x, this.g.op('Mul', [gy!, this.c(factor)])));
    return y;
  }

  /** Reshape to `shape` (an int64 vector; 0 copies a dimension, -1 infers one). */
  reshape(x: Value, shape: Value): Value {
    const y = this.g.op('Reshape', [x, shape]);
    this.record([y], [x], ([gy], acc) => acc(x, this.g.op('Reshape', [gy!, this.g.op('Shape', [x])])));
    return y;
  }

  transpose(x: Value, perm: readonly number[]): Value {
    const y = this.g.op('Transpose', [x], { perm: attr.ints(perm) });
    const inverse = perm.map((_, i) => perm.indexOf(i));
    this.record([y], [x], ([gy], acc) => acc(x, this.g.op('Transpose', [gy!], { perm: attr.ints(inverse) })));
    return y;
  }

  /**
   * Rows `idx` (int64, 1-D) of `table` [rows, width]. The gradient scatters back with ScatterElements(add) on
   * indices expanded to the gradient's shape: ScatterND(add) gives wrong sums for repeated indices once ONNX
   * Runtime runs it on two or more threads (see test/train/graph-scatter.test.ts).
   */
  gatherRows(table: Value, idx: Value): Value {
    const y = this.g.op('Gather', [table, idx]);
    this.record([y], [table], ([gy], acc) => {
      const zeros = this.g.op('ConstantOfShape', [this.g.op('Shape', [table])], {
        value: attr.tensor(this.dtype, [1], this.dtype === 'float32' ? new Float32Array(1) : new Float64Array(1)),
      });
      const column = this.g.op('Unsqueeze', [idx, this.g.ints([1])]);
      const expanded = this.g.op('Expand', [column, this.g.op('Shape', [gy!])]);
      acc(table, this.g.op('ScatterElements', [zeros, expanded, gy!], { axis: attr.int(0), reduction: attr.string('add') }));
    });
    return y;
  }

  /** LayerNormalization over the last axis of a rank-2 x [N, H] with affine gamma, beta [H]. */
  layerNorm(x: Value, gamma: Value, beta: Value, eps: number): Value {
    const [y, mean0, invStd0] = this.g.opN('LayerNormalization', [x, gamma, beta], 3, {
      axis: attr.int(-1),
      epsilon: attr.float(eps),
    });
    this.record([y], [x, gamma, beta], ([gy], acc) => {
      const g = this.g;
      // Mean and InvStdDev come out as float32 whatever x is (stash_type); cast for float64 graphs.
      const asX = (v: Value) => (this.dtype === 'float32' ? v : g.op('Cast', [v], { to: attr.int(11) }));
      const mean = asX(mean0);
      const invStd = asX(invStd0);
      const last = g.ints([-1]);
      const xhat = g.op('Mul', [g.op('Sub', [x, mean]), invStd]);
      acc(gamma, this.sumRows(g.op('Mul', [gy!, xhat])));
      acc(beta, this.sumRows(gy!));
      if (this.needsGrad.has(x)) {
        const dxhat = g.op('Mul', [gy!, gamma]);
        const m1 = g.op('ReduceMean', [dxhat, last], { keepdims: attr.int(1) });
        const m2 = g.op('ReduceMean', [g.op('Mul', [dxhat, xhat]), last], { keepdims: attr.int(1) });
        acc(x, g.op('Mul', [invStd, g.op('Sub', [g.op('Sub', [dxhat, m1]), g.op('Mul', [xhat, m2])])]));
      }
    });
    return y;
  }

  /** Exact (erf) GELU, as BERT uses. */
  gelu(x: Value): Value {
    const g = this.g;
    const y = this.dtype === 'float32'
      ? g.op('Gelu', [x])
      : g.op('Mul', [g.op('Mul', [x, this.c(0.5)]), g.op('Add', [this.erf(g.op('Mul', [x, this.c(SQRT1_2)])), this.c(1)])]);
    this.record([y], [x], ([gy], acc) => {
      const cdf = g.op('Mul', [g.op('Add', [this.erf(g.op('Mul', [x, this.c(SQRT1_2)])), this.c(1)]), this.c(0.5)]);
      const pdf = g.op('Mul', [g.op('Exp', [g.op('Mul', [g.op('Mul', [x, x]), this.c(-0.5)])]), this.c(INV_SQRT_2PI)]);
      acc(x, g.op('Mul', [gy!, g.op('Add', [cdf, g.op('Mul', [x, pdf])])]));
    });
    return y;
  }

  /** Softmax over the last axis. */
  softmax(x: Value): Value {
    const y = this.g.op('Softmax', [x], { axis: attr.int(-1) });
    this.record([y], [x], ([gy], acc) => {
      const dot = this.g.op('ReduceSum', [this.g.op('Mul', [gy!, y]), this.g.ints([-1])], { keepdims: attr.int(1) });
      acc(x, this.g.op('Mul', [y, this.g.op('Sub', [gy!, dot])]));
    });
    return y;
  }

  /**
   * Mean cross-entropy of logits [M, V] against labels [M] over the labels that are not `ignoreIndex` (0 when there
   * are none, rather than NaN). Also returns the summed loss and the number of counted labels.
   */
  /** Mean loss over the non-ignored labels (differentiable), its sum and count, and log-softmax rows (not differentiated). */
  crossEntropy(logits: Value, labels: Value, ignoreIndex: number): { loss: Value; lossSum: Value; count: Value; logProb: Value } {
    const g = this.g;
    const [lossSum, logProb] = g.opN('SoftmaxCrossEntropyLoss', [logits, labels], 2, {
      reduction: attr.string('sum'),
      ignore_index: attr.int(ignoreIndex),
    });
    const ignored = g.op('Equal', [labels, g.constant('int64', [ignoreIndex], [])]);
    const valid = g.op('Cast', [g.op('Not', [ignored])], { to: attr.int(this.dtype === 'float32' ? 1 : 11) });
    const count = g.op('ReduceSum', [valid], { keepdims: attr.int(0) });
    const denom = g.op('Max', [count, this.c(1)]);
    const loss = g.op('Div', [lossSum, denom]);
    this.record([loss], [logits], ([gy], acc) => {
      // d loss / d logits = (softmax − onehot(label)) · weight per row: scale the softmax, then subtract the weight at
      // each label's column. Ignored rows have weight 0; their label is replaced by 0 to stay a valid column.
      const weight = g.op('Unsqueeze', [g.op('Div', [g.op('Mul', [valid, gy!]), denom]), g.ints([1])]);
      const safe = g.op('Where', [ignored, g.constant('int64', [0], []), labels]);
      const scaled = g.op('Mul', [g.op('Exp', [logProb]), weight]);
      acc(logits, g.op('ScatterElements', [scaled, g.op('Unsqueeze', [safe, g.ints([1])]), g.op('Neg', [weight])], {
        axis: attr.int(1),
        reduction: attr.string('add'),
      }));
    });
    return { loss, lossSum, count, logProb };
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  private sumRows(x: Value): Value {
    return this.g.op('ReduceSum', [x, this.g.ints([0])], { keepdims: attr.int(0) });
  }

  /** erf: the Erf op for float32; for float64 (no CPU kernel) Numerical Recipes' erfc, |relative error| < 1.2e-7. */
  private erf(x: Value): Value {
    const g = this.g;
    if (this.dtype === 'float32') return g.op('Erf', [x]);
    const z = g.op('Abs', [x]);
    const t = g.op('Reciprocal', [g.op('Add', [this.c(1), g.op('Mul', [z, this.c(0.5)])])]);
    const coefficients = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];
    let poly = this.c(coefficients[0]);
    for (const k of coefficients.slice(1)) poly = g.op('Add', [g.op('Mul', [poly, t]), this.c(k)]);
    const erfc = g.op('Mul', [t, g.op('Exp', [g.op('Sub', [poly, g.op('Mul', [z, z])])])]);
    return g.op('Mul', [g.op('Sign', [x]), g.op('Sub', [this.c(1), erfc])]);
  }
}
