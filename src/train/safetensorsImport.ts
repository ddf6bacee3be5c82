// Reads a transformers masked LM from model.safetensors (BERT / RoBERTa / DistilBERT names, PyTorch layouts) into our parameter set.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import { SHARD_INDEX, shardNames } from '../core/hub/download';
import { readSafetensors, type SafeTensorFile, type SafeTensorInfo } from '../core/safetensors';
import { BertConfig, PARAM, Params, configFromHF, paramShapes } from './model';

/** transformers' model prefixes (BertForMaskedLM: `bert.`, RobertaForMaskedLM: `roberta.`, DistilBertForMaskedLM: `distilbert.`). */
const PREFIXES = ['bert.', 'roberta.', 'distilbert.'];

/** transformers names that differ from ours (we name everything as BertForMaskedLM without the prefix). */
const RENAMES: [RegExp, string][] = [
  [/^lm_head\.dense\./, 'cls.predictions.transform.dense.'],
  [/^lm_head\.layer_norm\./, 'cls.predictions.transform.LayerNorm.'],
  [/^lm_head\.bias$/, PARAM.decoderBias],
  [/^lm_head\.decoder\.bias$/, 'cls.predictions.decoder.bias'],
  [/^lm_head\.decoder\.weight$/, 'cls.predictions.decoder.weight'],
  // DistilBERT: BERT without token types, under its own names.
  [/^transformer\.layer\./, 'encoder.layer.'],
  [/\.attention\.q_lin\./, '.attention.self.query.'],
  [/\.attention\.k_lin\./, '.attention.self.key.'],
  [/\.attention\.v_lin\./, '.attention.self.value.'],
  [/\.attention\.out_lin\./, '.attention.output.dense.'],
  [/\.sa_layer_norm\./, '.attention.output.LayerNorm.'],
  [/\.ffn\.lin1\./, '.intermediate.dense.'],
  [/\.ffn\.lin2\./, '.output.dense.'],
  [/\.output_layer_norm\./, '.output.LayerNorm.'],
  [/^vocab_transform\./, 'cls.predictions.transform.dense.'],
  [/^vocab_layer_norm\./, 'cls.predictions.transform.LayerNorm.'],
  [/^vocab_projector\.bias$/, PARAM.decoderBias],
  [/^vocab_projector\.weight$/, 'cls.predictions.decoder.weight'],
  // Old TensorFlow-converted checkpoints (bert-base-uncased's first upload) call LayerNorm parameters gamma / beta.
  [/LayerNorm\.gamma$/, 'LayerNorm.weight'],
  [/LayerNorm\.beta$/, 'LayerNorm.bias'],
];

/** The tensor name in our parameter set, or the transformers name unchanged when it is not one of ours. */
export function ourName(name: string): string {
  let n = name;
  for (const p of PREFIXES) if (n.startsWith(p)) n = n.slice(p.length);
  for (const [re, to] of RENAMES) n = n.replace(re, to);
  return n;
}

/** Linear layers: 2-D parameters that are not embedding tables. PyTorch stores them [out, in], we [in, out]. */
export function isLinearWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && !name.startsWith('embeddings.');
}

export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

export async function readHFConfig(dir: string): Promise<BertConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ClozeError(missing ? 'model-missing' : 'model-corrupt', missing
      ? `${dir} has no config.json; a Hugging Face model folder needs it next to model.safetensors.`
      : `${dir}/config.json is not valid JSON: ${errorText(e)}.`);
  }
  try {
    const j = json as Record<string, unknown>;
    return j.model_type === 'distilbert' ? distilBertConfig(j) : configFromHF(j);
  } catch (e) {
    throw new ClozeError('model-inputs', `${path.basename(dir)} is not a model Cloze can run from model.safetensors: ${errorText(e)}. Cloze builds BERT, RoBERTa (also XLM-R, CamemBERT) and DistilBERT masked LMs; for other architectures use an ONNX export.`, errorText(e));
  }
}

/**
 * DistilBERT as our BertConfig: the same encoder and head (post-LN, GELU, LayerNorm eps 1e-12, tied decoder) with no
 * token-type table; its config names the sizes dim / n_layers / n_heads / hidden_dim.
 */
export function distilBertConfig(j: Record<string, unknown>): BertConfig {
  const num = (key: string, fallback?: number): number => {
    const v = j[key];
    if (typeof v === 'number') return v;
    if (fallback !== undefined) return fallback;
    throw new Error(`config.json: "${key}" is missing or not a number`);
  };
  const act = j.activation ?? 'gelu';
  if (act !== 'gelu') throw new Error(`config.json: activation "${String(act)}" is not supported (gelu)`);
  // Stored as a table either way; only how it was initialised differs.
  return configFromHF({
    model_type: 'bert',
    vocab_size: num('vocab_size'),
    hidden_size: num('dim'),
    num_hidden_layers: num('n_layers'),
    num_attention_heads: num('n_heads'),
    intermediate_size: num('hidden_dim'),
    max_position_embeddings: num('max_position_embeddings'),
    type_vocab_size: 0,
    layer_norm_eps: 1e-12,
    pad_token_id: num('pad_token_id', 0),
    initializer_range: num('initializer_range', 0.02),
  });
}

/** Our parameters from an opened safetensors file, checked against `cfg`'s shapes. */
export function paramsFromSafetensors(st: SafeTensorFile, cfg: BertConfig): Params {
  const byOurName = new Map<string, string>();
  for (const name of st.tensors.keys()) {
    const ours = ourName(name);
    if (!byOurName.has(ours)) byOurName.set(ours, name);
  }
  const params: Params = new Map();
  for (const [name, shape] of paramShapes(cfg)) {
    let source = byOurName.get(name);
    // Some checkpoints store the decoder bias only as the decoder's own bias.
    if (!source && name === PARAM.decoderBias) source = byOurName.get('cls.predictions.decoder.bias');
    if (!source) {
      throw new ClozeError('model-corrupt', `${st.file} has no weights for ${name} (looked for the transformers names of a ${cfg.modelType === 'roberta' ? 'RobertaForMaskedLM' : 'BertForMaskedLM or DistilBertForMaskedLM'}); it may be a base model without the masked-LM head. Choose a fill-mask checkpoint.`);
    }
    const info = st.tensors.get(source)!;
    const linear = isLinearWeight(name, shape);
    const expected = linear ? [shape[1], shape[0]] : shape;
    if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
      throw new ClozeError('model-corrupt', `${st.file}: ${source} has shape [${info.shape.join(', ')}] but config.json implies [${expected.join(', ')}]; config.json does not match the weights.`);
    }
    const data = st.read(source);
    params.set(name, linear ? transpose(data, expected[0], expected[1]) : data);
  }
  // We always tie the decoder to the word embeddings; a stored decoder must be that same matrix.
  const decoder = byOurName.get('cls.predictions.decoder.weight');
  if (decoder) {
    const d = st.read(decoder);
    const e = params.get(PARAM.wordEmbeddings)!;
    let same = d.length === e.length;
    for (let i = 0; same && i < d.length; i++) same = d[i] === e[i];
    if (!same) throw new ClozeError('model-inputs', `${st.file}: the decoder (${decoder}) is not tied to the word embeddings; Cloze runs only masked LMs with a tied decoder (as BERT and RoBERTa are trained).`);
  }
  return params;
}

/** The weight files of `dir` (relative names): model.safetensors, else the shards its index names; [] if neither. */
export async function weightFiles(dir: string): Promise<string[]> {
  if (existsSync(path.join(dir, 'model.safetensors'))) return ['model.safetensors'];
  const index = path.join(dir, SHARD_INDEX);
  if (!existsSync(index)) return [];
  return shardNames(await readFile(index, 'utf8'), dir);
}

/** Several safetensors files (the shards of one checkpoint) as one: a tensor is read from the file that holds it. */
export function mergeSafetensors(files: readonly SafeTensorFile[], label: string): SafeTensorFile {
  if (files.length === 1) return files[0];
  const owner = new Map<string, SafeTensorFile>();
  const tensors = new Map<string, SafeTensorInfo>();
  for (const f of files) {
    for (const [name, info] of f.tensors) {
      if (owner.has(name)) throw new ClozeError('model-corrupt', `${label}: tensor ${name} is in two shards (${owner.get(name)!.file} and ${f.file}).`);
      owner.set(name, f);
      tensors.set(name, info);
    }
  }
  return { file: label, tensors, metadata: files[0]?.metadata ?? {}, read: (name) => (owner.get(name) ?? files[0]).read(name) };
}

/** The weights of `dir` (one model.safetensors, or its shards) as one file view. */
export async function openWeights(dir: string): Promise<SafeTensorFile> {
  const names = await weightFiles(dir);
  if (!names.length) throw new ClozeError('model-missing', `${dir} has no model.safetensors (or ${SHARD_INDEX} with its shards).`);
  const files: SafeTensorFile[] = [];
  for (const n of names) {
    if (!existsSync(path.join(dir, n))) throw new ClozeError('model-corrupt', `${dir}/${SHARD_INDEX} names ${n}, which is missing; download the model again.`);
    files.push(await readSafetensors(path.join(dir, n)));
  }
  return mergeSafetensors(files, names.length === 1 ? files[0].file : path.join(dir, SHARD_INDEX));
}

/** config.json and model.safetensors (or its shards) of `dir` as our config and float32 parameters. */
export async function importSafetensors(dir: string): Promise<{ config: BertConfig; params: Params }> {
  const config = await readHFConfig(dir);
  const st = await openWeights(dir);
  return { config, params: paramsFromSafetensors(st, config) };
}
