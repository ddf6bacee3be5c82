// The BERT-family masked-LM definition shared by training, import and export: config, parameter names, shapes, init.

/**
 * Architecture of a BERT / RoBERTa masked LM: learned absolute positions, post-LN encoder, exact GELU, MLM head
 * (dense → GELU → LayerNorm → decoder tied to the word embeddings, plus a bias).
 */
export interface BertConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  /** Rows of the position table (RoBERTa: max sequence length + positionOffset). */
  maxPositions: number;
  /** Rows of the token-type table; 0 for none. Training and RoBERTa use type 0 throughout. */
  typeVocabSize: number;
  layerNormEps: number;
  /**
   * 0: BERT positions 0, 1, 2, … for every slot. > 0: RoBERTa positions, counted over non-padding tokens and
   * starting at positionOffset (padding gets positionOffset − 1 = padTokenId, as in Hugging Face).
   */
  positionOffset: number;
  padTokenId: number;
  /** Standard deviation of the normal init of weight matrices and embeddings. */
  initRange: number;
  modelType: 'bert' | 'roberta';
}

/**
 * Parameters by name, float32, row-major. Names follow Hugging Face's `BertForMaskedLM` without the `bert.` prefix
 * (a RoBERTa's `lm_head.*` maps to `cls.predictions.*`). One difference: Linear weights (`….weight` of query, key,
 * value, dense) are stored [in, out] so that y = x · W + b — the transpose of `torch.nn.Linear.weight`, and the
 * layout torch.onnx exports. The decoder is tied to `embeddings.word_embeddings.weight` [vocab, hidden].
 */
export type Params = Map<string, Float32Array>;

export const PARAM = {
  wordEmbeddings: 'embeddings.word_embeddings.weight',
  positionEmbeddings: 'embeddings.position_embeddings.weight',
  tokenTypeEmbeddings: 'embeddings.token_type_embeddings.weight',
  embeddingsLnWeight: 'embeddings.LayerNorm.weight',
  embeddingsLnBias: 'embeddings.LayerNorm.bias',
  headDenseWeight: 'cls.predictions.transform.dense.weight',
  headDenseBias: 'cls.predictions.transform.dense.bias',
  headLnWeight: 'cls.predictions.transform.LayerNorm.weight',
  headLnBias: 'cls.predictions.transform.LayerNorm.bias',
  decoderBias: 'cls.predictions.bias',
} as const;

/** Names of layer `i`'s parameters. */
export function layerParams(i: number) {
  const p = `encoder.layer.${i}`;
  return {
    queryWeight: `${p}.attention.self.query.weight`,
    queryBias: `${p}.attention.self.query.bias`,
    keyWeight: `${p}.attention.self.key.weight`,
    keyBias: `${p}.attention.self.key.bias`,
    valueWeight: `${p}.attention.self.value.weight`,
    valueBias: `${p}.attention.self.value.bias`,
    attnOutWeight: `${p}.attention.output.dense.weight`,
    attnOutBias: `${p}.attention.output.dense.bias`,
    attnLnWeight: `${p}.attention.output.LayerNorm.weight`,
    attnLnBias: `${p}.attention.output.LayerNorm.bias`,
    ffnInWeight: `${p}.intermediate.dense.weight`,
    ffnInBias: `${p}.intermediate.dense.bias`,
    ffnOutWeight: `${p}.output.dense.weight`,
    ffnOutBias: `${p}.output.dense.bias`,
    ffnLnWeight: `${p}.output.LayerNorm.weight`,
    ffnLnBias: `${p}.output.LayerNorm.bias`,
  };
}

/** Every parameter's shape, in a fixed order (the order of checkpoints and graph inputs). */
export function paramShapes(cfg: BertConfig): Map<string, number[]> {
  validateConfig(cfg);
  const { hidden: H, intermediate: F, vocabSize: V } = cfg;
  const s = new Map<string, number[]>();
  s.set(PARAM.wordEmbeddings, [V, H]);
  s.set(PARAM.positionEmbeddings, [cfg.maxPositions, H]);
  if (cfg.typeVocabSize > 0) s.set(PARAM.tokenTypeEmbeddings, [cfg.typeVocabSize, H]);
  s.set(PARAM.embeddingsLnWeight, [H]);
  s.set(PARAM.embeddingsLnBias, [H]);
  for (let i = 0; i < cfg.layers; i++) {
    const l = layerParams(i);
    for (const [w, b] of [[l.queryWeight, l.queryBias], [l.keyWeight, l.keyBias], [l.valueWeight, l.valueBias], [l.attnOutWeight, l.attnOutBias]]) {
      s.set(w, [H, H]);
      s.set(b, [H]);
    }
    s.set(l.attnLnWeight, [H]);
    s.set(l.attnLnBias, [H]);
    s.set(l.ffnInWeight, [H, F]);
    s.set(l.ffnInBias, [F]);
    s.set(l.ffnOutWeight, [F, H]);
    s.set(l.ffnOutBias, [H]);
    s.set(l.ffnLnWeight, [H]);
    s.set(l.ffnLnBias, [H]);
  }
  s.set(PARAM.headDenseWeight, [H, H]);
  s.set(PARAM.headDenseBias, [H]);
  s.set(PARAM.headLnWeight, [H]);
  s.set(PARAM.headLnBias, [H]);
  s.set(PARAM.decoderBias, [V]);
  return s;
}

export function paramCount(cfg: BertConfig): number {
  let n = 0;
  for (const shape of paramShapes(cfg).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

/** How a new model's position table starts: BERT's N(0, initRange²), or sinusoids of the same scale (see initParams). */
export type PositionInit = 'normal' | 'sinusoid';

/**
 * LayerNorm gains are 1 and all other vectors 0; matrices and embeddings are N(0, initRange²), as BERT does.
 * With positions 'sinusoid', the position table starts as the Transformer's sinusoids scaled to the same root mean
 * square (still a learned table, so the model stays a plain BERT/RoBERTa): neighbouring positions start similar
 * and an offset is a fixed rotation, which attention can use from the first step instead of having to discover the
 * order of 128+ unrelated random rows.
 */
export function initParams(cfg: BertConfig, rng: () => number, positions: PositionInit = 'normal'): Params {
  const params: Params = new Map();
  for (const [name, shape] of paramShapes(cfg)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length === 2) {
      for (let i = 0; i < data.length; i++) data[i] = normal(rng) * cfg.initRange;
      // Hugging Face zeroes the padding row of the word embeddings at init (nn.Embedding padding_idx).
      if (name === PARAM.wordEmbeddings) data.fill(0, cfg.padTokenId * cfg.hidden, (cfg.padTokenId + 1) * cfg.hidden);
      if (name === PARAM.positionEmbeddings && positions === 'sinusoid') sinusoids(data, shape[0], shape[1], cfg.initRange);
    } else if (name.endsWith('LayerNorm.weight')) {
      data.fill(1);
    }
    params.set(name, data);
  }
  return params;
}

/**
 * Row p: sin(p·ω_i), cos(p·ω_i) for ω_i = 10000^(−2i/H), times √2·scale so the table's root mean square is `scale`, as a random one's.
 * Rows are indexed by table row, so RoBERTa's offset positions get a shifted but equally smooth sequence.
 */
function sinusoids(out: Float32Array, rows: number, hidden: number, scale: number): void {
  const half = Math.floor(hidden / 2);
  for (let p = 0; p < rows; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / Math.pow(10000, (2 * i) / hidden);
      out[p * hidden + 2 * i] = Math.SQRT2 * scale * Math.sin(angle);
      out[p * hidden + 2 * i + 1] = Math.SQRT2 * scale * Math.cos(angle);
    }
    if (hidden % 2 === 1) out[p * hidden + hidden - 1] = 0;
  }
}

/** Box–Muller from two uniform draws; consumes exactly two per value so that draws stay reproducible. */
function normal(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function validateConfig(cfg: BertConfig): void {
  const positive = ['vocabSize', 'hidden', 'layers', 'heads', 'intermediate', 'maxPositions'] as const;
  for (const k of positive) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new Error(`BertConfig.${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (cfg.hidden % cfg.heads !== 0) throw new Error(`BertConfig: hidden ${cfg.hidden} is not divisible by heads ${cfg.heads}`);
  if (!Number.isInteger(cfg.typeVocabSize) || cfg.typeVocabSize < 0) throw new Error('BertConfig.typeVocabSize must be ≥ 0');
  if (cfg.padTokenId < 0 || cfg.padTokenId >= cfg.vocabSize) throw new Error(`BertConfig.padTokenId ${cfg.padTokenId} is outside the vocabulary`);
}

/** Reads a Hugging Face `config.json` of a BERT or RoBERTa (also XLM-R / CamemBERT: same architecture). */
export function configFromHF(json: object): BertConfig {
  const j = json as Record<string, unknown>;
  const num = (key: string, fallback?: number): number => {
    const v = j[key];
    if (typeof v === 'number') return v;
    if (fallback !== undefined) return fallback;
    throw new Error(`config.json: "${key}" is missing or not a number`);
  };
  const type = String(j.model_type ?? 'bert');
  const roberta = ['roberta', 'xlm-roberta', 'camembert'].includes(type);
  if (!roberta && type !== 'bert') throw new Error(`config.json: model_type "${type}" is not supported (bert or roberta)`);
  if (j.hidden_act !== undefined && j.hidden_act !== 'gelu') throw new Error(`config.json: hidden_act "${String(j.hidden_act)}" is not supported (gelu)`);
  const positionType = j.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw new Error(`config.json: position_embedding_type "${String(positionType)}" is not supported (absolute)`);
  const padTokenId = num('pad_token_id', roberta ? 1 : 0);
  const cfg: BertConfig = {
    vocabSize: num('vocab_size'),
    hidden: num('hidden_size'),
    layers: num('num_hidden_layers'),
    heads: num('num_attention_heads'),
    intermediate: num('intermediate_size'),
    maxPositions: num('max_position_embeddings'),
    typeVocabSize: num('type_vocab_size', roberta ? 1 : 2),
    layerNormEps: num('layer_norm_eps', 1e-12),
    positionOffset: roberta ? padTokenId + 1 : 0,
    padTokenId,
    initRange: num('initializer_range', 0.02),
    modelType: roberta ? 'roberta' : 'bert',
  };
  validateConfig(cfg);
  return cfg;
}

/** A Hugging Face `config.json` for `cfg` (dropout kept at transformers' defaults for anyone fine-tuning in PyTorch). */
export function configToHF(cfg: BertConfig): object {
  const roberta = cfg.modelType === 'roberta';
  return {
    architectures: [roberta ? 'RobertaForMaskedLM' : 'BertForMaskedLM'],
    model_type: cfg.modelType,
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hidden,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    intermediate_size: cfg.intermediate,
    max_position_embeddings: cfg.maxPositions,
    type_vocab_size: cfg.typeVocabSize,
    layer_norm_eps: cfg.layerNormEps,
    pad_token_id: cfg.padTokenId,
    initializer_range: cfg.initRange,
    hidden_act: 'gelu',
    position_embedding_type: 'absolute',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    torch_dtype: 'float32',
    ...(roberta ? { bos_token_id: 0, eos_token_id: 2 } : {}),
  };
}
