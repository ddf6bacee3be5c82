// The BERT / RoBERTa masked-LM forward pass as ONNX, recorded on an autodiff tape so training graphs get its backward.
import { Tape } from './onnx/autodiff';
import { Graph, Value, attr } from './onnx/graph';
import { DType, FloatDType } from './onnx/proto';
import { BertConfig, PARAM, Params, layerParams, paramShapes } from './model';

/** Graph values of the parameters, by parameter name. */
export type ParamValues = Map<string, Value>;

/** Token-level inputs, int64 [batch, seq]. Without tokenTypeIds every token has type 0. */
export interface TokenInputs {
  readonly inputIds: Value;
  readonly attentionMask: Value;
  readonly tokenTypeIds?: Value;
}

/**
 * Bumped when what `inferenceGraph` builds changes, so that graphs derived and cached from the same weights are built
 * again (2: the head-at-masks graph runs its last layer only at the masks).
 */
export const GRAPH_REVISION = 2;

/** The additive attention bias of masked keys: float32's lowest value, as transformers uses. */
const MASKED_KEY = -3.4028234663852886e38;

/** Declares every parameter as a graph input named `${prefix}${name}` (weights that change between runs). */
export function paramInputs(g: Graph, cfg: BertConfig, dtype: FloatDType, prefix = ''): ParamValues {
  const values: ParamValues = new Map();
  for (const [name, shape] of paramShapes(cfg)) values.set(name, g.input(prefix + name, dtype, shape));
  return values;
}

/** Bakes parameters into the graph as initializers under their own names (exported inference models). */
export function paramInitializers(g: Graph, cfg: BertConfig, params: Params): ParamValues {
  const values: ParamValues = new Map();
  for (const [name, shape] of paramShapes(cfg)) {
    const data = params.get(name);
    if (!data) throw new Error(`parameter ${name} is missing`);
    values.set(name, g.initializer(name, 'float32', shape, data));
  }
  return values;
}

function param(p: ParamValues, name: string): Value {
  const v = p.get(name);
  if (!v) throw new Error(`parameter ${name} is not in the graph`);
  return v;
}

/** Position ids [batch, seq]: 0, 1, 2, … (BERT) or RoBERTa's count of non-padding tokens (see BertConfig). */
function positionIds(g: Graph, cfg: BertConfig, inputIds: Value): Value {
  const int64 = 7;
  if (cfg.positionOffset === 0) {
    const ones = g.op('ConstantOfShape', [g.op('Shape', [inputIds])], { value: attr.tensor('int64', [1], BigInt64Array.of(1n)) });
    return g.op('Sub', [g.op('CumSum', [ones, g.constant('int64', [1], [])]), g.constant('int64', [1], [])]);
  }
  const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', [inputIds, g.constant('int64', [cfg.padTokenId], [])])])], { to: attr.int(int64) });
  const counted = g.op('Mul', [g.op('CumSum', [notPad, g.constant('int64', [1], [])]), notPad]);
  return g.op('Add', [counted, g.constant('int64', [cfg.positionOffset - 1], [])]);
}

/**
 * Final hidden states [batch·seq, hidden] of the encoder; with `rows` (int64 [batch, n], positions within each
 * sequence) only those rows, [batch·n, hidden]: the last layer then computes queries, attention output and FFN for
 * those rows alone — its keys and values still see every token — which is all a head at the masks reads.
 */
export function encode(t: Tape, cfg: BertConfig, p: ParamValues, inputs: TokenInputs, rows?: Value): Value {
  const g = t.g;
  const { hidden: H, heads } = cfg;
  const headDim = H / heads;
  const flat = (v: Value) => g.op('Reshape', [v, g.ints([-1])]);
  const flatIds = flat(inputs.inputIds);

  let x = g.scope('embeddings', () => {
    const words = t.gatherRows(param(p, PARAM.wordEmbeddings), flatIds);
    if (cfg.positionOffset > 0 || inputs.tokenTypeIds) {
      // Per-token positions (RoBERTa skips padding) or given token types: look each token's rows up.
      let e = words;
      if (cfg.typeVocabSize > 0) {
        const types = inputs.tokenTypeIds
          ? flat(inputs.tokenTypeIds)
          : g.op('ConstantOfShape', [g.op('Shape', [flatIds])], { value: attr.tensor('int64', [1], new BigInt64Array(1)) });
        e = t.add(e, t.gatherRows(param(p, PARAM.tokenTypeEmbeddings), types));
      }
      e = t.add(e, t.gatherRows(param(p, PARAM.positionEmbeddings), flat(positionIds(g, cfg, inputs.inputIds))));
      return t.layerNorm(e, param(p, PARAM.embeddingsLnWeight), param(p, PARAM.embeddingsLnBias), cfg.layerNormEps);
    }
    // BERT positions 0..seq-1 are the same in every row and the type is 0 everywhere: add the table rows by
    // broadcasting, whose gradient is a sum over the batch rather than a scatter over every token.
    const bySequence = g.op('Concat', [g.op('Shape', [inputs.inputIds]), g.ints([H])], { axis: attr.int(0) });
    const seqLen = g.op('Slice', [g.op('Shape', [inputs.inputIds]), g.ints([1]), g.ints([2])]);
    let e = t.reshape(words, bySequence);
    e = t.addBroadcast(e, t.leadingRows(param(p, PARAM.positionEmbeddings), seqLen), [0]);
    if (cfg.typeVocabSize > 0) e = t.addBroadcast(e, t.leadingRows(param(p, PARAM.tokenTypeEmbeddings), g.ints([1])), [0, 1]);
    e = t.reshape(e, g.ints([-1, H]));
    return t.layerNorm(e, param(p, PARAM.embeddingsLnWeight), param(p, PARAM.embeddingsLnBias), cfg.layerNormEps);
  });

  // [batch, 1, 1, seq]: 0 where a key may be attended to, the lowest float where it is padding.
  const keyBias = g.scope('attention_mask', () => {
    const m = g.op('Cast', [inputs.attentionMask], { to: attr.int(t.dtype === 'float32' ? 1 : 11) });
    const bias = g.op('Mul', [g.op('Sub', [t.c(1), m]), t.c(MASKED_KEY)]);
    return g.op('Unsqueeze', [bias, g.ints([1, 2])]);
  });
  const splitHeads = g.op('Concat', [g.op('Shape', [inputs.inputIds]), g.ints([heads, headDim])], { axis: attr.int(0) });
  const mergeHeads = g.ints([-1, H]);

  /** The last layer's own rows: the picked rows [batch·n, hidden], and the shape that splits their heads. */
  const ownRows = (x: Value): { rows: Value; split: Value } => {
    if (!rows) return { rows: x, split: splitHeads };
    const byBatch = g.op('Concat', [g.op('Shape', [inputs.inputIds]), g.ints([H])], { axis: attr.int(0) });
    const picked = g.op('GatherND', [t.reshape(x, byBatch), g.op('Unsqueeze', [rows, g.ints([-1])])], { batch_dims: attr.int(1) });
    return { rows: g.op('Reshape', [picked, mergeHeads]), split: g.op('Concat', [g.op('Shape', [rows]), g.ints([heads, headDim])], { axis: attr.int(0) }) };
  };

  for (let i = 0; i < cfg.layers; i++) {
    const l = layerParams(i);
    x = g.scope(`layer${i}`, () => {
      const heads4 = (v: Value, perm: number[], split = splitHeads) => t.transpose(t.reshape(v, split), perm);
      // Queries (and all that follows them) of the picked rows only, in the last layer of a head-at-masks graph.
      const { rows: own, split: splitOwn } = i === cfg.layers - 1 ? ownRows(x) : { rows: x, split: splitHeads };
      const q = heads4(t.scale(t.linear(own, param(p, l.queryWeight), param(p, l.queryBias)), 1 / Math.sqrt(headDim)), [0, 2, 1, 3], splitOwn);
      const k = heads4(t.linear(x, param(p, l.keyWeight), param(p, l.keyBias)), [0, 2, 3, 1]);
      const v = heads4(t.linear(x, param(p, l.valueWeight), param(p, l.valueBias)), [0, 2, 1, 3]);
      const probs = t.softmax(t.add(t.matmul4(q, k), keyBias));
      const context = t.reshape(t.transpose(t.matmul4(probs, v), [0, 2, 1, 3]), mergeHeads);
      const attended = t.linear(context, param(p, l.attnOutWeight), param(p, l.attnOutBias));
      const h = t.layerNorm(t.add(own, attended), param(p, l.attnLnWeight), param(p, l.attnLnBias), cfg.layerNormEps);
      const ffn = t.linear(t.gelu(t.linear(h, param(p, l.ffnInWeight), param(p, l.ffnInBias))), param(p, l.ffnOutWeight), param(p, l.ffnOutBias));
      return t.layerNorm(t.add(h, ffn), param(p, l.ffnLnWeight), param(p, l.ffnLnBias), cfg.layerNormEps);
    });
  }
  return x;
}

/** The masked-LM head on hidden-state rows [rows, hidden] → logits [rows, vocab] (decoder tied to word embeddings). */
export function mlmHead(t: Tape, cfg: BertConfig, p: ParamValues, rows: Value): Value {
  return t.g.scope('mlm_head', () => {
    const h = t.gelu(t.linear(rows, param(p, PARAM.headDenseWeight), param(p, PARAM.headDenseBias)));
    const n = t.layerNorm(h, param(p, PARAM.headLnWeight), param(p, PARAM.headLnBias), cfg.layerNormEps);
    return t.linearTransposed(n, param(p, PARAM.wordEmbeddings), param(p, PARAM.decoderBias));
  });
}

/** Whether the model reads token_type_ids (BERT with a type table; RoBERTa always uses type 0). */
export function usesTokenTypes(cfg: BertConfig): boolean {
  return cfg.modelType === 'bert' && cfg.typeVocabSize > 0;
}

export interface InferenceGraphOptions {
  /**
   * Adds input `mask_positions`, int64 [batch, masks]: positions within each sequence (0 ≤ p < seq). The output
   * `logits` is then [batch, masks, vocab], and the last layer (after its keys and values) and the vocabulary head
   * run only there.
   */
  readonly maskedPositions?: boolean;
}

/**
 * A fill-mask inference graph in Hugging Face's layout: inputs input_ids, attention_mask (and token_type_ids when
 * the model uses them), int64 [batch, sequence] with symbolic sizes; output logits float32 [batch, sequence, vocab].
 * Weights are baked in as initializers.
 */
export function inferenceGraph(cfg: BertConfig, params: Params, opts: InferenceGraphOptions = {}): Graph {
  const g = new Graph('cloze_masked_lm');
  const t = new Tape(g, 'float32');
  const dims = ['batch_size', 'sequence_length'];
  const int64: DType = 'int64';
  const inputs: TokenInputs = {
    inputIds: g.input('input_ids', int64, dims),
    attentionMask: g.input('attention_mask', int64, dims),
    tokenTypeIds: usesTokenTypes(cfg) ? g.input('token_type_ids', int64, dims) : undefined,
  };
  const maskPositions = opts.maskedPositions ? g.input('mask_positions', int64, ['batch_size', 'masks']) : undefined;
  const p = paramInitializers(g, cfg, params);
  // With mask positions the last layer and the head run only at the masks.
  const hidden = encode(t, cfg, p, inputs, maskPositions);
  const V = cfg.vocabSize;
  const logits = mlmHead(t, cfg, p, hidden);
  const shape = g.op('Concat', [g.op('Shape', [maskPositions ?? inputs.inputIds]), g.ints([V])], { axis: attr.int(0) });
  g.output(g.op('Reshape', [logits, shape]), 'logits', 'float32', maskPositions ? ['batch_size', 'masks', V] : [...dims, V]);
  return g;
}
