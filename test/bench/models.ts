// Prepares the fill benchmark's model folders under .bench/models/, laid out so our engine and transformers.js read the same ONNX files.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { inferenceGraph } from '../../src/train/bert';
import { BertConfig, configFromHF, configToHF, initParams, paramCount } from '../../src/train/model';
import { encodeModel } from '../../src/train/onnx/proto';
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
const RANDOM_WINDOW = 256;
const TOKENIZER_FILES = ['tokenizer.json', 'special_tokens_map.json', 'vocab.txt'];

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

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

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(value, null, 2) + '\n');
}

/** The fixture tokenizer's config with a length limit that matches the model (transformers.js truncates to it). */
async function tokenizerConfig(maxLength: number): Promise<Record<string, unknown>> {
  const src = JSON.parse(await fs.readFile(path.join(fixture('bert-tiny-wordpiece'), 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  return { ...src, model_max_length: maxLength };
}

/**
 * Exports the random BERT twice from one set of weights: the full-logits graph (`onnx/model.onnx`, what Optimum and
 * transformers.js use) and the head-at-masks graph (`onnx/model_masked.onnx`). Cached by a hash of the config.
 */
async function randomBert(log: (m: string) => void): Promise<BenchModel> {
  const cfg = RANDOM_BERT;
  const id = `bert-${cfg.layers}x${cfg.hidden}-random`;
  const dir = path.join(modelsRoot, id);
  const fullDir = path.join(modelsRoot, `${id}-full`);
  const stamp = createHash('sha256').update(JSON.stringify({ cfg, seed: 1, format: 2 })).digest('hex').slice(0, 16);
  const stampFile = path.join(dir, 'bench-stamp.txt');
  const fresh = (await exists(stampFile)) && (await fs.readFile(stampFile, 'utf8')) === stamp;
  if (!fresh) {
    log(`Exporting a random ${cfg.layers}-layer × ${cfg.hidden} BERT (${cfg.maxPositions} positions) to ${path.relative(repoRoot, dir)} …`);
    await fs.rm(dir, { recursive: true, force: true });
    const params = initParams(cfg, Rng.fromSeed(1).uniform());
    // TODO(bench): switch to src/train/export.ts `exportModel(dir, cfg, params, tokenizerDir, { maskedVariant: true })`
    // once it lands; until then the same graphs come straight from src/train/bert.ts, which that export wraps.
    await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
    await fs.writeFile(path.join(dir, 'onnx', 'model.onnx'), encodeModel(inferenceGraph(cfg, params).toProto()));
    await fs.writeFile(path.join(dir, 'onnx', 'model_masked.onnx'), encodeModel(inferenceGraph(cfg, params, { maskedPositions: true }).toProto()));
    await writeJson(path.join(dir, 'config.json'), { ...configToHF(cfg), _name_or_path: id });
    await writeJson(path.join(dir, 'tokenizer_config.json'), await tokenizerConfig(cfg.maxPositions));
    for (const f of TOKENIZER_FILES) await fs.copyFile(path.join(fixture('bert-tiny-wordpiece'), f), path.join(dir, f));
    await fs.writeFile(stampFile, stamp);
  }
  // The full-logits view for our engine: everything but the masked graph (the engine would prefer it).
  await fs.rm(fullDir, { recursive: true, force: true });
  for (const f of ['config.json', 'tokenizer_config.json', ...TOKENIZER_FILES]) await link(path.join(dir, f), path.join(fullDir, f));
  await link(path.join(dir, 'onnx', 'model.onnx'), path.join(fullDir, 'model.onnx'));
  return {
    label: id,
    description: `random BERT, ${cfg.layers} layers × ${cfg.hidden} hidden, ${cfg.heads} heads, FFN ${cfg.intermediate}, vocab ${cfg.vocabSize} (bert fixture's WordPiece), ${cfg.maxPositions} positions`,
    parameters: paramCount(cfg),
    windowTokens: RANDOM_WINDOW,
    maskedDir: dir,
    fullDir,
    anchorId: id,
  };
}

/** The PyTorch-made bert fixture as shipped (128 positions, full logits only), in transformers.js' layout. */
async function bertFixture(): Promise<BenchModel> {
  const src = fixture('bert-tiny-wordpiece');
  const id = 'bert-tiny-wordpiece';
  const dir = path.join(modelsRoot, id);
  await fs.rm(dir, { recursive: true, force: true });
  for (const f of ['config.json', 'tokenizer_config.json', ...TOKENIZER_FILES]) await link(path.join(src, f), path.join(dir, f));
  await link(path.join(src, 'model.onnx'), path.join(dir, 'onnx', 'model.onnx'));
  const cfg = configFromHF(JSON.parse(await fs.readFile(path.join(src, 'config.json'), 'utf8')) as object);
  return {
    label: `${id} (fixture)`,
    description: `shared fixture, PyTorch-made BERT, ${cfg.layers} layers × ${cfg.hidden} hidden, vocab ${cfg.vocabSize}, ${cfg.maxPositions} positions`,
    parameters: paramCount(cfg),
    windowTokens: cfg.maxPositions,
    fullDir: dir,
    anchorId: id,
  };
}

/** Builds (or reuses) every benchmark model folder; the main subject first. */
export async function prepareModels(log: (m: string) => void = () => undefined): Promise<BenchModel[]> {
  await fs.mkdir(modelsRoot, { recursive: true });
  return [await randomBert(log), await bertFixture()];
}
