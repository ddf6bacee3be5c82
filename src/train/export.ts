// Writes a trained model as a Hugging Face layout folder that our engine, transformers.js and Optimum users can load.
import { copyFile, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { writeAtomic } from '../core/atomicFile';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { inferenceGraph } from './bert';
import { BertConfig, Params, configToHF } from './model';
import { encodeModel } from './onnx/proto';
import { encodeTransformersCheckpoint } from './safetensorsExport';
import { ClozeError } from '../core/errors';
import { resolveModelDir } from '../core/modelPointer';
import { FUSED_GRAPH, FUSED_RECORD, QUANTIZATION_RECORD, QUANTIZED_GRAPH } from '../core/precision';

/** Tokenizer files copied when present (the first three are what the engine and transformers.js read). */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

export interface ExportOptions {
  /**
   * Also write `onnx/model_masked.onnx`: inputs as model.onnx plus `mask_positions`, int64 [batch, masks] —
   * positions within each sequence (0 ≤ p < sequence_length); output `logits` [batch, masks, vocab]. The
   * vocabulary head, a small model's largest layer, then runs only at the masks.
   */
  maskedVariant?: boolean;
  /** Write `model.safetensors` (transformers names and layouts, for PyTorch); default true. */
  safetensors?: boolean;
}

/**
 * Exports to `dir` (created if needed; files replaced one by one, each atomically):
 * - `config.json` (BertForMaskedLM / RobertaForMaskedLM),
 * - `model.onnx`: inputs input_ids, attention_mask (and token_type_ids for BERT with a type table), int64
 *   [batch_size, sequence_length]; output logits float32 [batch_size, sequence_length, vocab]; weights baked in as
 *   initializers,
 * - `onnx/model.onnx`, the same file (hard link where possible) where transformers.js looks for it,
 * - optionally `onnx/model_masked.onnx` (see ExportOptions),
 * - `model.safetensors`: the same weights under transformers' names for PyTorch (see safetensorsExport.ts),
 * - the tokenizer files of `tokenizerDir` (tokenizer.json is required).
 */
export async function exportModel(dir: string, cfg: BertConfig, params: Params, tokenizerFolder: string, opts: ExportOptions = {}): Promise<void> {
  // A trained model's folder names its current version in a pointer file; its tokenizer files are in that version.
  const tokenizerDir = await resolveModelDir(tokenizerFolder);
  if (!existsSync(path.join(tokenizerDir, 'tokenizer.json'))) throw new ClozeError('tokenizer', `${tokenizerDir} has no tokenizer.json to export with the model; pass the folder of the tokenizer the model was trained with.`);
  await mkdir(path.join(dir, 'onnx'), { recursive: true });

  const model = encodeModel(inferenceGraph(cfg, params).toProto());
  const root = path.join(dir, 'model.onnx');
  await writeAtomic(root, model);
  const nested = path.join(dir, 'onnx', 'model.onnx');
  const tmp = `${nested}.tmp-${process.pid}`;
  try {
    await link(root, tmp);
  } catch {
    await writeFile(tmp, model);
  }
  await rename(tmp, nested);

  const masked = path.join(dir, 'onnx', 'model_masked.onnx');
  if (opts.maskedVariant) await writeAtomic(masked, encodeModel(inferenceGraph(cfg, params, { maskedPositions: true }).toProto()));
  else await rm(masked, { force: true });
  // An int8 or fused graph made from earlier weights must not outlive them (cloze.precision would run it): `cloze
  // quantize` / `cloze fuse` remake them.
  for (const stale of [QUANTIZED_GRAPH, QUANTIZATION_RECORD, FUSED_GRAPH, FUSED_RECORD]) await rm(path.join(dir, stale), { force: true });

  for (const f of TOKENIZER_FILES) {
    const src = path.join(tokenizerDir, f);
    if (!existsSync(src) || path.resolve(src) === path.resolve(dir, f)) continue;
    const tmpCopy = path.join(dir, `${f}.tmp-${process.pid}`);
    await copyFile(src, tmpCopy);
    await rename(tmpCopy, path.join(dir, f));
  }
  await capModelMaxLength(dir, cfg);
  const weights = path.join(dir, 'model.safetensors');
  if (opts.safetensors ?? true) await writeAtomic(weights, encodeTransformersCheckpoint(cfg, params));
  else await rm(weights, { force: true });
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify(configToHF(cfg), null, 2) + '\n');
}

/**
 * A tokenizer trained for longer inputs than the model has positions for (a new model with a short table) would let
 * tools that truncate by model_max_length (transformers' pipeline) hand it more tokens than it can take.
 */
async function capModelMaxLength(dir: string, cfg: BertConfig): Promise<void> {
  const file = path.join(dir, 'tokenizer_config.json');
  if (!existsSync(file)) return;
  const usable = cfg.maxPositions - cfg.positionOffset;
  const tc = JSON.parse(await readFile(file, 'utf8')) as { model_max_length?: unknown };
  if (typeof tc.model_max_length === 'number' && tc.model_max_length <= usable) return;
  await writeAtomic(file, JSON.stringify({ ...tc, model_max_length: usable }, null, 2) + '\n');
}
