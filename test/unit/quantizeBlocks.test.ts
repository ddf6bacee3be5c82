// The int8 comparison variants of docs/benchmarks.md (block-wise MatMulNBits weights, SmoothQuant) run in the real ONNX Runtime and compute what they claim.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel, onnx, tensorProto, valueInfo } from '../../src/train/onnx/proto';
import { blockQuantize } from '../../src/train/onnx/blockwise';
import { quantizeModel, weightMatMulInputs, type QuantizeOptions } from '../../src/train/onnx/quantize';
import { Rng } from '../../src/train/rng';

const ROWS = 4, K = 64, N = 8;

/** Y = X · W for a constant W [K, N]: the smallest graph the quantiser rewrites. */
function matMulGraph(w: Float32Array): onnx.ModelProto {
  return decodeModel(encodeModel({
    name: 'one-matmul',
    node: [{ opType: 'MatMul', name: 'mm', input: ['x', 'w'], output: ['y'] }],
    initializer: [tensorProto('w', 'float32', [K, N], w)],
    input: [valueInfo('x', 'float32', [ROWS, K])],
    output: [valueInfo('y', 'float32', [ROWS, N])],
  }));
}

async function run(model: onnx.IModelProto, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  try {
    const out = await s.run({ x: new ort.Tensor('float32', x, [ROWS, K]) });
    return out.y.data as Float32Array;
  } finally {
    await s.release();
  }
}

function reference(x: Float32Array, w: Float32Array): Float32Array {
  const y = new Float32Array(ROWS * N);
  for (let r = 0; r < ROWS; r++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) y[r * N + n] += x[r * K + k] * w[k * N + n];
  return y;
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function randoms(n: number, seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

describe('int8 comparison variants: block-wise weights and SmoothQuant', () => {
  const w = randoms(K * N, 1);
  const x = randoms(ROWS * K, 2);

  for (const bits of [8, 4] as const) {
    it(`${bits}-bit blocks of 32: MatMulNBits computes X · dequant(W) (codes, packing and scales as ORT reads them)`, async () => {
      const { packed, scales, blocks } = blockQuantize({ rows: K, cols: N, values: w }, bits, 32);
      assert.equal(blocks, 2);
      // Dequantise by hand: zero point 2^(bits−1), codes low bits first along K.
      const deq = new Float32Array(K * N);
      const blob = (32 * bits) / 8;
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          const b = k >> 5, j = k & 31, at = (n * blocks + b) * blob;
          const code = bits === 8 ? packed[at + j] : (packed[at + (j >> 1)] >> ((j & 1) * 4)) & 15;
          deq[k * N + n] = (code - (1 << (bits - 1))) * scales[n * blocks + b];
        }
      }
      // The rounding error is at most half a step of each block.
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) assert.ok(Math.abs(deq[k * N + n] - w[k * N + n]) <= scales[n * blocks + (k >> 5)] / 2 + 1e-7);
      const model = matMulGraph(w);
      const report = quantizeModel(model, { blockwise: { bits, blockSize: 32, accuracyLevel: 0 } });
      assert.deepEqual(report.quantized, ['w']);
      assert.ok(model.graph?.node?.some((n) => n.opType === 'MatMulNBits' && n.domain === 'com.microsoft'));
      const y = await run(model, x);
      assert.ok(maxAbs(y, reference(x, deq)) < 1e-4, `ORT's MatMulNBits ≠ X · dequant(W): ${maxAbs(y, reference(x, deq))}`);
      if (bits === 8) assert.ok(maxAbs(y, reference(x, w)) < 0.05);
    });
  }

  it('SmoothQuant: the rewritten product still equals X · W, with less int8 error where one input channel is an outlier', async () => {
    // Channel 3 of x is 60× the others in every row: with one scale per tensor it takes most of the int8 grid.
    const xo = Float32Array.from(x, (v, i) => (i % K === 3 ? v * 60 : v));
    const exact = reference(xo, w);
    const model = matMulGraph(w);
    assert.deepEqual(weightMatMulInputs(model), ['x']);
    const channelMax = new Map([['x', Float32Array.from({ length: K }, (_, j) => (j === 3 ? 60 : 1))]]);
    const error = async (opts: QuantizeOptions) => {
      const m = decodeModel(onnx.ModelProto.encode(model).finish());
      quantizeModel(m, opts);
      return maxAbs(await run(m, xo), exact);
    };
    const plain = await error({});
    const smoothed = await error({ smooth: { channelMax, alpha: 0.5 } });
    console.log(`      max |Δ| against float: per-tensor ${plain.toFixed(4)}, smoothed ${smoothed.toFixed(4)}`);
    assert.ok(smoothed < plain / 2, `smoothed ${smoothed} vs plain ${plain}`);
  });
});
