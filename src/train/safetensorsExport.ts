// Writes our parameters as a transformers checkpoint (model.safetensors: transformers names, PyTorch layouts), so a
// model trained in Cloze can continue in PyTorch (BertForMaskedLM / RobertaForMaskedLM.from_pretrained).
import { encodeSafetensors, type SafeTensorOut } from '../core/safetensors';
import { BertConfig, PARAM, Params, paramShapes } from './model';
import { isLinearWeight, transpose } from './safetensorsImport';

/** Our name → transformers' name for RobertaForMaskedLM (BERT: the same name under `bert.`, head under `cls.`). */
function transformersName(name: string, cfg: BertConfig): string {
  if (cfg.modelType === 'bert') return name.startsWith('cls.') ? name : `bert.${name}`;
  if (name === PARAM.decoderBias) return 'lm_head.bias';
  if (name.startsWith('cls.predictions.transform.dense.')) return name.replace('cls.predictions.transform.dense.', 'lm_head.dense.');
  if (name.startsWith('cls.predictions.transform.LayerNorm.')) return name.replace('cls.predictions.transform.LayerNorm.', 'lm_head.layer_norm.');
  return `roberta.${name}`;
}

/**
 * The tensors of a transformers masked-LM checkpoint: Linear weights back to [out, in]; the decoder weight is tied
 * to the word embeddings, so it is not stored (transformers ties it again on load), nor is its bias (tied to
 * `cls.predictions.bias` / `lm_head.bias`).
 */
export function transformersTensors(cfg: BertConfig, params: Params): Map<string, SafeTensorOut> {
  const out = new Map<string, SafeTensorOut>();
  for (const [name, shape] of paramShapes(cfg)) {
    const data = params.get(name);
    if (!data) throw new Error(`parameter ${name} is missing`);
    if (isLinearWeight(name, shape)) out.set(transformersName(name, cfg), { shape: [shape[1], shape[0]], data: transpose(data, shape[0], shape[1]) });
    else out.set(transformersName(name, cfg), { shape, data });
  }
  return out;
}

/** model.safetensors bytes for `params` (float32, or float16 for a small snapshot; metadata format "pt" as transformers expects). */
export function encodeTransformersCheckpoint(cfg: BertConfig, params: Params, dtype: 'F32' | 'F16' = 'F32'): Buffer {
  return encodeSafetensors(transformersTensors(cfg, params), { format: 'pt' }, dtype);
}
