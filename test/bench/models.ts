// Prepares the fill benchmark's model folders under .bench/models/, laid out so our engine and transformers.js read the same ONNX files.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathExists as exists } from '../../src/core/paths';
import { GRAPH_REVISION } from '../../src/train/bert';
import { exportModel } from '../../src/train/export';
import { BertConfig, configFromHF, initParams, paramCount } from '../../src/train/model';
import { Rng } from '../../src/train/rng';
import { fixture, repoRoot } from '../paths';

export const benchDir = path.join(repoRoot, '.bench');
/** transformers.js' `env.localModelPath`: every anchor folder sits directly below it, named by its model id. */
export const modelsRoot = path.join(benchDir, 'models');

/** One benchmark subject: the same weights seen three ways. */
export interface BenchModel {
  /** Short label for tables. */
  readonly label: string;
  readonly description: string;
  readonly parameters: number;
  /** Positions the model takes: the fill window is this many tokens, framing included. */
  readonly windowTokens: number;
  /** Folder our engine loads for the head-at-masks graph (`onnx/model_masked.onnx`), when the model has one. */
  readonly maskedDir?: string;
  /** Folder our engine loads for the full-logits graph (`model.onnx`, [batch, seq, vocab]). */
  readonly fullDir: string;
  /** transformers.js model id below {@link modelsRoot}; its folder has `onnx/model.onnx` (the full-logits graph). */
  readonly anchorId: string;
}

/**
 * A randomly initialised BERT with 512 positions on the bert fixture's WordPiece tokenizer: the shared fixtures stop
 * at 128 positions, and latency does not depend on the weights' values.
 */
export const RANDOM_BERT: BertConfig = {
  vocabSize: 6000, hidden: 256, layers: 4, heads: 4, intermediate: 1024, maxPositions: 512, typeVocabSize: 2,
  layerNormEps: 1e-12, positionOffset: 0, padTokenId: 0, initRange: 0.02, modelType: 'bert',
};
/**
 * The same encoder with a bert-base-sized vocabulary head (30,522 rows; our own BPE tokenizers have 30,000): the head's
 * share of the cost grows with the vocabulary. The fixture tokenizer only produces ids below 6,000, which is all a
 * latency subject needs; its candidates are not words.
 */
export const RANDOM_BERT_BIG_VOCAB: BertConfig = { ...RANDOM_BERT, vocabSize: 30522 };
/**
 * bert-base's shape (12 layers × 768, 12 heads, FFN 3072, vocabulary 30,522, 512 positions) with random weights: what
 * a real Hub fill-mask model costs per fill (issue 9), timed at 128- and 256-token windows.
 */
export const RANDOM_BERT_BASE: BertConfig = {
  vocabSize: 30522, hidden: 768, layers: 12, heads: 12, intermediate: 3072, maxPositions: 512, typeVocabSize: 2,
  layerNormEps: 1e-12, positionOffset: 0, padTokenId: 0, initRange: 0.02, modelType: 'bert',
};
export const BASE_WINDOWS = [128, 256] as const;
const RANDOM_WINDOW = 256;
const TOKENIZER_FILES = ['tokenizer.json', 'special_tokens_map.json', 'vocab.txt'];


/** Replaces `to` with a link to `from` (a copy where links are not allowed), so every view shares one file. */
async function link(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.rm(to, { force: true });
  try {
    await fs.symlink(from, to);
  } catch {
    await fs.copyFile(from, to);
  }
}

/**
 * The fixture's tokenizer files with a length limit that matches the model: transformers.js truncates to
 * model_max_length, and the fixture says 128.
 */
async function tokenizerFolder(maxLength: number): Promise<string> {
  const src = fixture('bert-tiny-wordpiece');
  const dir = path.join(modelsRoot, 'tokenizers', `bert-wordpiece-${maxLength}`);
  await fs.mkdir(dir, { recursive: true });
  for (const f of TOKENIZER_FILES) await fs.copyFile(path.join(src, f), path.join(dir, f));
  const cfg = JSON.parse(await fs.readFile(path.join(src, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...cfg, model_max_length: maxLength }, null, 2) + '\n');
  return dir;
}

/**
 * Exports a random BERT with src/train/export.ts, masked variant included: `onnx/model_masked.onnx` (head at the
 * masks, what our engine prefers) and `model.onnx` = `onnx/model.onnx` (full logits, what transformers.js loads).
 * Cached by a hash of the config. A second folder links everything but the masked graph, so the engine can be made
 * to run the full-logits graph too.
 */
async function randomBert(cfg: BertConfig, log: (m: string) => void, window?: number): Promise<BenchModel> {
  const windowTokens = window ?? RANDOM_WINDOW;
  const id = `bert-${cfg.layers}x${cfg.hidden}-v${cfg.vocabSize}-random`;
  const dir = path.join(modelsRoot, id);
  const fullDir = path.join(modelsRoot, `${id}-full`);
  const stamp = createHash('sha256').update(JSON.stringify({ cfg, seed: 1, exporter: 'src/train/export.ts', graph: GRAPH_REVISION })).digest('hex').slice(0, 16);
  const stampFile = path.join(dir, 'bench-stamp.txt');
  const fresh = (await exists(stampFile)) && (await fs.readFile(stampFile, 'utf8')) === stamp;
  if (!fresh) {
    log(`Exporting a random ${cfg.layers}-layer × ${cfg.hidden} BERT, vocab ${cfg.vocabSize}, ${cfg.maxPositions} positions to ${path.relative(repoRoot, dir)} …`);
    await fs.rm(dir, { recursive: true, force: true });
    // No model.safetensors: the bench times ONNX only, and bert-base's would be another 440 MB.
    await exportModel(dir, cfg, initParams(cfg, Rng.fromSeed(1).uniform()), await tokenizerFolder(cfg.maxPositions), { maskedVariant: true, safetensors: false });
    await fs.writeFile(stampFile, stamp);
  }
  await fs.rm(fullDir, { recursive: true, force: true });
  for (const f of ['config.json', 'tokenizer_config.json', ...TOKENIZER_FILES]) await link(path.join(dir, f), path.join(fullDir, f));
  await link(path.join(dir, 'model.onnx'), path.join(fullDir, 'model.onnx'));
  return {
    label: window === undefined ? id : `${id} @${window}`,
    description: `random BERT, ${cfg.layers} layers × ${cfg.hidden} hidden, ${cfg.heads} heads, FFN ${cfg.intermediate}, vocab ${cfg.vocabSize}, ${cfg.maxPositions} positions (bert fixture's WordPiece tokenizer)`,
    parameters: paramCount(cfg),
    windowTokens,
    maskedDir: dir,
    fullDir,
    anchorId: id,
  };
}

/** The PyTorch-made bert fixture as shipped (128 positions, full logits only), in transformers.js' layout. */
async function bertFixture(): Promise<BenchModel> {
  const id = 'bert-tiny-wordpiece';
  const { dir, cfg } = await anchorFolder(fixture(id), id, ['config.json', 'tokenizer_config.json', ...TOKENIZER_FILES]);
  return {
    label: `${id} (fixture)`,
    description: `shared fixture, PyTorch-made BERT, ${cfg.layers} layers × ${cfg.hidden} hidden, vocab ${cfg.vocabSize}, ${cfg.maxPositions} positions`,
    parameters: paramCount(cfg),
    windowTokens: cfg.maxPositions,
    fullDir: dir,
    anchorId: id,
  };
}

/** A model folder in transformers.js' layout below modelsRoot: `files` linked, `model.onnx` as `onnx/model.onnx`. */
async function anchorFolder(src: string, id: string, files: readonly string[]): Promise<{ dir: string; cfg: BertConfig }> {
  const dir = path.join(modelsRoot, id);
  await fs.rm(dir, { recursive: true, force: true });
  for (const f of files) await link(path.join(src, f), path.join(dir, f));
  await link(path.join(src, 'model.onnx'), path.join(dir, 'onnx', 'model.onnx'));
  return { dir, cfg: configFromHF(JSON.parse(await fs.readFile(path.join(src, 'config.json'), 'utf8')) as object) };
}

/**
 * The shipped default model (models/default: RoBERTa, byte-level BPE, float16 weights folded to float32 at load) as
 * users get it: the engine loads the folder itself (head-at-masks graph); transformers.js and the engine's full-logits
 * view read its `model.onnx`, linked as `onnx/model.onnx`.
 */
async function shippedDefault(): Promise<BenchModel> {
  const src = path.join(repoRoot, 'models', 'default');
  const id = 'cloze-default';
  const { dir, cfg } = await anchorFolder(src, id, ['config.json', 'tokenizer_config.json', 'tokenizer.json', 'special_tokens_map.json']);
  return {
    label: `${id} (models/default)`,
    description: `the bundled model, ${cfg.modelType} ${cfg.layers} layers × ${cfg.hidden} hidden, ${cfg.heads} heads, FFN ${cfg.intermediate}, vocab ${cfg.vocabSize}`,
    parameters: paramCount(cfg),
    windowTokens: cfg.maxPositions - cfg.positionOffset,
    maskedDir: src,
    fullDir: dir,
    anchorId: id,
  };
}

export type ModelSet = 'main' | 'all' | 'base' | 'default';

/** The bert-base-sized subject at each of BASE_WINDOWS (one export, shared). */
async function baseModels(log: (m: string) => void): Promise<BenchModel[]> {
  const out: BenchModel[] = [];
  for (const w of BASE_WINDOWS) out.push(await randomBert(RANDOM_BERT_BASE, log, w));
  return out;
}

/**
 * Builds (or reuses) the benchmark model folders. `main`: the 256-token subject only. `base`: the bert-base-sized
 * encoder at 128 and 256 tokens. `default`: the shipped default model. `all`: main, the bert-base-sized vocabulary, the
 * PyTorch-made fixture, the shipped default model and base.
 */
export async function prepareModels(set: ModelSet, log: (m: string) => void = () => undefined): Promise<BenchModel[]> {
  await fs.mkdir(modelsRoot, { recursive: true });
  if (set === 'base') return baseModels(log);
  if (set === 'default') return [await shippedDefault()];
  const main = await randomBert(RANDOM_BERT, log);
  if (set === 'main') return [main];
  return [main, await randomBert(RANDOM_BERT_BIG_VOCAB, log), await bertFixture(), await shippedDefault(), ...(await baseModels(log))];
}
