// Reads a transformers masked LM from model.safetensors (BERT / RoBERTa names, PyTorch layouts) into our parameter set.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import { readSafetensors, type SafeTensorFile } from '../core/safetensors';
import { BertConfig, PARAM, Params, configFromHF, paramShapes } from './model';

/** transformers' model prefixes (BertForMaskedLM: `bert.`, RobertaForMaskedLM: `roberta.`). */
const PREFIXES = ['bert.', 'roberta.'];

/** transformers names that differ from ours (we name everything as BertForMaskedLM without the prefix). */
const RENAMES: [RegExp, string][] = [
  [/^lm_head\.dense\./, 'cls.predictions.transform.dense.'],
  [/^lm_head\.layer_norm\./, 'cls.predictions.transform.LayerNorm.'],
  [/^lm_head\.bias$/, PARAM.decoderBias],
  [/^lm_head\.decoder\.bias$/, 'cls.predictions.decoder.bias'],
  [/^lm_head\.decoder\.weight$/, 'cls.predictions.decoder.weight'],
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
    return configFromHF(json as object);
  } catch (e) {
    throw new ClozeError('model-inputs', `${path.basename(dir)} is not a model Cloze can run from model.safetensors: ${errorText(e)}. Cloze builds BERT and RoBERTa (also XLM-R, CamemBERT) masked LMs; for other architectures use an ONNX export.`, errorText(e));
  }
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
      throw new ClozeError('model-corrupt', `${st.file} has no weights for ${name} (looked for the transformers names of a ${cfg.modelType === 'roberta' ? 'RobertaForMaskedLM' : 'BertForMaskedLM'}); it may be a base model without the masked-LM head. Choose a fill-mask checkpoint.`);
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

/** config.json and model.safetensors of `dir` as our config and float32 parameters. */
export async function importSafetensors(dir: string): Promise<{ config: BertConfig; params: Params }> {
  const config = await readHFConfig(dir);
  const st = await readSafetensors(path.join(dir, 'model.safetensors'));
  return { config, params: paramsFromSafetensors(st, config) };
}
