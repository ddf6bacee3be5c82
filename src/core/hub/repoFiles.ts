// Which files of a Hub repository make a fill-mask model Cloze can load: the weights choice and the shard index.
import { ClozeError } from '../errors';

/** Which weights to fetch: `auto` takes model.safetensors, else an ONNX export. */
export type WeightChoice = 'auto' | 'safetensors' | 'onnx' | 'quantized';


/** Tokenizer and config files fetched when the repository has them. */
const SMALL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/** Sharded safetensors: this index maps each tensor to one of the model-0000i-of-0000n.safetensors files. */
export const SHARD_INDEX = 'model.safetensors.index.json';

const WEIGHT_ORDER: Record<WeightChoice, string[]> = {
  auto: ['model.safetensors', SHARD_INDEX, 'onnx/model.onnx', 'model.onnx', 'onnx/model_quantized.onnx'],
  safetensors: ['model.safetensors', SHARD_INDEX],
  onnx: ['onnx/model.onnx', 'model.onnx'],
  quantized: ['onnx/model_quantized.onnx'],
};

/** The files of `siblings` this model needs, or a ClozeError saying what is missing. */
export function chooseFiles(repoId: string, names: readonly string[], weights: WeightChoice = 'auto'): string[] {
  const has = new Set(names);
  if (!has.has('config.json')) {
    throw new ClozeError('model-corrupt', `${repoId} has no config.json, so it is not a transformers model Cloze can load.`);
  }
  const weight = WEIGHT_ORDER[weights].find((w) => has.has(w));
  if (!weight) {
    const present = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', ...WEIGHT_ORDER.auto].filter((w) => has.has(w));
    const wanted = WEIGHT_ORDER[weights].join(' or ');
    throw new ClozeError('model-corrupt', `${repoId} has no ${wanted}${present.length ? ` (it has ${present.join(', ')})` : ''}. Cloze reads model.safetensors or an ONNX export${weights === 'auto' ? '' : '; try another --weights choice'}.`);
  }
  const files = SMALL_FILES.filter((f) => has.has(f));
  files.push(weight);
  // ONNX exports over 2 GB keep their weights in a side file.
  if (weight.endsWith('.onnx') && has.has(`${weight}_data`)) files.push(`${weight}_data`);
  return files;
}

/** The shard files a model.safetensors.index.json names (its weight_map values), in order. */
export function shardNames(indexJson: string, repoId: string): string[] {
  let map: unknown;
  try {
    map = (JSON.parse(indexJson) as { weight_map?: unknown }).weight_map;
  } catch {
    map = undefined;
  }
  const names = map && typeof map === 'object' ? [...new Set(Object.values(map as Record<string, unknown>))] : [];
  if (!names.length || !names.every((n): n is string => typeof n === 'string' && /^[\w.-]+\.safetensors$/.test(n))) {
    throw new ClozeError('model-corrupt', `${repoId}'s ${SHARD_INDEX} has no usable weight_map (shard file names); the repository is damaged.`);
  }
  return (names as string[]).sort();
}
