// The inference graph again, built on ONNX Runtime's com.microsoft contrib ops (Attention, BiasGelu; SkipLayerNormalization
// on request), which its CPU provider runs as single kernels: the same logits as bert.ts's graph, faster where measured so.
import { usesTokenTypes, type InferenceGraphOptions } from './bert';
import { BertConfig, PARAM, Params, layerParams, paramShapes } from './model';
import { Graph, Value, attr } from './onnx/graph';
import { DType, IR_VERSION, MS_DOMAIN, OPSET, onnx } from './onnx/proto';

/** The contrib-op domain: ORT's own operator set, version 1 (what its CPU kernels are registered under). */
export { MS_DOMAIN };
/** The contrib ops this graph may use, every one with a float32 kernel in ORT's CPU execution provider. */
export const FUSED_OPS: readonly string[] = ['Attention', 'SkipLayerNormalization', 'BiasGelu'];

/** The additive bias of a masked key, as bert.ts uses (float32's lowest): a fully padded row then attends uniformly in both graphs. */
const MASKED_KEY = -3.4028234663852886e38;

/** Names of the packed query/key/value projection of layer `i` (Attention's `weights` [H, 3H] and `bias` [3H]). */
export function packedQkvNames(i: number): { weight: string; bias: string } {
  const p = `encoder.layer.${i}.attention.self.qkv`;
  return { weight: `${p}.weight`, bias: `${p}.bias` };
}

function need(params: Params, name: string): Float32Array {
  const v = params.get(name);
  if (!v) throw new Error(`parameter ${name} is missing`);
  return v;
}

/** Query, key and value weights [H, H] side by side as [H, 3H] (row r = q[r] ‖ k[r] ‖ v[r]), biases likewise. */
function packQkv(cfg: BertConfig, params: Params, i: number): { weight: Float32Array; bias: Float32Array } {
  const H = cfg.hidden;
  const l = layerParams(i);
  const ws = [l.queryWeight, l.keyWeight, l.valueWeight].map((n) => need(params, n));
  const bs = [l.queryBias, l.keyBias, l.valueBias].map((n) => need(params, n));
  const weight = new Float32Array(H * 3 * H);
  for (let r = 0; r < H; r++) ws.forEach((w, j) => weight.set(w.subarray(r * H, (r + 1) * H), r * 3 * H + j * H));
  const bias = new Float32Array(3 * H);
  bs.forEach((b, j) => bias.set(b, j * H));
  return { weight, bias };
}

/**
 * Every weight as an initializer under its own name, except each layer's query/key/value, which become one packed
 * matrix and bias per layer (packedQkvNames).
 */
function fusedInitializers(g: Graph, cfg: BertConfig, params: Params): Map<string, Value> {
  const qkv = new Set<string>();
  for (let i = 0; i < cfg.layers; i++) {
    const l = layerParams(i);
    for (const n of [l.queryWeight, l.keyWeight, l.valueWeight, l.queryBias, l.keyBias, l.valueBias]) qkv.add(n);
  }
  const values = new Map<string, Value>();
  for (const [name, shape] of paramShapes(cfg)) {
    if (!qkv.has(name)) values.set(name, g.initializer(name, 'float32', shape, need(params, name)));
  }
  for (let i = 0; i < cfg.layers; i++) {
    const packed = packQkv(cfg, params, i);
    const names = packedQkvNames(i);
    values.set(names.weight, g.initializer(names.weight, 'float32', [cfg.hidden, 3 * cfg.hidden], packed.weight));
    values.set(names.bias, g.initializer(names.bias, 'float32', [3 * cfg.hidden], packed.bias));
  }
  return values;
}

export interface FusedGraphOptions extends InferenceGraphOptions {
  /**
   * Residual add and LayerNorm as one SkipLayerNormalization (default false): same logits, but ORT 1.30's CPU kernel
   * took ~4× the time of Add + LayerNormalization in a profile of the 4 × 256 bench subject (18 vs 4.6 ms a run).
   */
  readonly skipLayerNorm?: boolean;
  /** Bias and exact GELU as one BiasGelu (default true); ORT's optimiser makes the same fusion from Add + Gelu. */
  readonly biasGelu?: boolean;
}

/**
 * The fill-mask inference graph of bert.ts's `inferenceGraph` — same inputs, outputs and (to float rounding) logits —
 * with each layer's self-attention as one Attention kernel (packed QKV projection, key mask, softmax, heads) and the
 * FFN's bias + GELU as BiasGelu. Activations stay [batch, seq, hidden] (Attention wants rank 3). Encode it with
 * `encodeFusedModel`.
 */
export function fusedInferenceGraph(cfg: BertConfig, params: Params, opts: FusedGraphOptions = {}): Graph {
  const g = new Graph('cloze_masked_lm_fused');
  const { hidden: H, vocabSize: V } = cfg;
  const dims = ['batch_size', 'sequence_length'];
  const int64: DType = 'int64';
  const inputIds = g.input('input_ids', int64, dims);
  const attentionMask = g.input('attention_mask', int64, dims);
  const tokenTypeIds = usesTokenTypes(cfg) ? g.input('token_type_ids', int64, dims) : undefined;
  const maskPositions = opts.maskedPositions ? g.input('mask_positions', int64, ['batch_size', 'masks']) : undefined;
  const p = fusedInitializers(g, cfg, params);
  const w = (name: string): Value => {
    const v = p.get(name);
    if (!v) throw new Error(`parameter ${name} is not in the graph`);
    return v;
  };
  const eps = attr.float(cfg.layerNormEps);
  const gelu = (y: Value, bias: Value): Value => ((opts.biasGelu ?? true) ? g.op('BiasGelu', [y, bias]) : g.op('Gelu', [g.op('Add', [y, bias])]));

  let x = g.scope('embeddings', () => {
    let e = g.op('Gather', [w(PARAM.wordEmbeddings), inputIds]);
    if (cfg.positionOffset === 0) {
      // BERT: positions 0 … seq−1 in every row, so the first seq rows of the table broadcast over the batch.
      const seqLen = g.op('Slice', [g.op('Shape', [inputIds]), g.ints([1]), g.ints([2])]);
      e = g.op('Add', [e, g.op('Slice', [w(PARAM.positionEmbeddings), g.ints([0]), seqLen, g.ints([0])])]);
    } else {
      // RoBERTa: positions count the non-padding tokens from positionOffset; padding gets padTokenId (as bert.ts).
      const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', [inputIds, g.constant('int64', [cfg.padTokenId], [])])])], { to: attr.int(7) });
      const counted = g.op('Mul', [g.op('CumSum', [notPad, g.constant('int64', [1], [])]), notPad]);
      const positions = g.op('Add', [counted, g.constant('int64', [cfg.positionOffset - 1], [])]);
      e = g.op('Add', [e, g.op('Gather', [w(PARAM.positionEmbeddings), positions])]);
    }
    if (tokenTypeIds) e = g.op('Add', [e, g.op('Gather', [w(PARAM.tokenTypeEmbeddings), tokenTypeIds])]);
    else if (cfg.typeVocabSize > 0) e = g.op('Add', [e, g.op('Slice', [w(PARAM.tokenTypeEmbeddings), g.ints([0]), g.ints([1]), g.ints([0])])]);
    return g.op('LayerNormalization', [e, w(PARAM.embeddingsLnWeight), w(PARAM.embeddingsLnBias)], { axis: attr.int(-1), epsilon: eps });
  });

  // Attention's raw key mask [batch, seq], int32: 1 attends, 0 is padding (filled with MASKED_KEY before the softmax).
  const keyMask = g.op('Cast', [attentionMask], { to: attr.int(6) });
  for (let i = 0; i < cfg.layers; i++) {
    const l = layerParams(i);
    const qkv = packedQkvNames(i);
    x = g.scope(`layer${i}`, () => {
      const attended = g.op('Attention', [x, w(qkv.weight), w(qkv.bias), keyMask], {
        num_heads: attr.int(cfg.heads),
        mask_filter_value: attr.float(MASKED_KEY),
      });
      // y · W + bias + skip, layer-normalised: one SkipLayerNormalization, or MatMul, Add, Add, LayerNormalization.
      const residual = (y: Value, weight: string, bias: string, skip: Value, gamma: string, beta: string): Value => {
        const projected = g.op('MatMul', [y, w(weight)]);
        return opts.skipLayerNorm
          ? g.op('SkipLayerNormalization', [projected, skip, w(gamma), w(beta), w(bias)], { epsilon: eps })
          : g.op('LayerNormalization', [g.op('Add', [g.op('Add', [projected, w(bias)]), skip]), w(gamma), w(beta)], { axis: attr.int(-1), epsilon: eps });
      };
      const h = residual(attended, l.attnOutWeight, l.attnOutBias, x, l.attnLnWeight, l.attnLnBias);
      const inner = gelu(g.op('MatMul', [h, w(l.ffnInWeight)]), w(l.ffnInBias));
      return residual(inner, l.ffnOutWeight, l.ffnOutBias, h, l.ffnLnWeight, l.ffnLnBias);
    });
  }

  const head = (rows: Value): Value => g.scope('mlm_head', () => {
    const t = gelu(g.op('MatMul', [rows, w(PARAM.headDenseWeight)]), w(PARAM.headDenseBias));
    const n = g.op('LayerNormalization', [t, w(PARAM.headLnWeight), w(PARAM.headLnBias)], { axis: attr.int(-1), epsilon: eps });
    return g.op('Gemm', [n, w(PARAM.wordEmbeddings), w(PARAM.decoderBias)], { transB: attr.int(1) });
  });
  if (!maskPositions) {
    const logits = head(g.op('Reshape', [x, g.ints([-1, H])]));
    const shape = g.op('Concat', [g.op('Shape', [inputIds]), g.ints([V])], { axis: attr.int(0) });
    g.output(g.op('Reshape', [logits, shape]), 'logits', 'float32', [...dims, V]);
  } else {
    const picked = g.op('GatherND', [x, g.op('Unsqueeze', [maskPositions, g.ints([-1])])], { batch_dims: attr.int(1) });
    const logits = head(g.op('Reshape', [picked, g.ints([-1, H])]));
    const shape = g.op('Concat', [g.op('Shape', [maskPositions]), g.ints([V])], { axis: attr.int(0) });
    g.output(g.op('Reshape', [logits, shape]), 'logits', 'float32', ['batch_size', 'masks', V]);
  }
  return g;
}

/** The model file of a fused graph: its contrib nodes put in ORT's domain, which the model then imports. */
export function encodeFusedModel(graph: Graph): Uint8Array {
  const proto = graph.toProto();
  const contrib = new Set(FUSED_OPS);
  for (const n of proto.node ?? []) if (n.opType && contrib.has(n.opType)) n.domain = MS_DOMAIN;
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }, { domain: MS_DOMAIN, version: 1 }],
    producerName: 'cloze',
    graph: proto,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
