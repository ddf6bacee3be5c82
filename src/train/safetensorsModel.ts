// Turns a folder with model.safetensors (or its shards) and no ONNX into one the engine loads: our own inference graph
// built from the weights, cached next to them — beside a Hugging Face snapshot, never inside it — or in a cache folder,
// and rebuilt when the weights or config change.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import { isFile } from '../core/paths';
import { GRAPH_REVISION, inferenceGraph } from './bert';
import { buildTokenizerJson, specialTokensOf } from './hfTokenizerFiles';
import { encodeModel } from './onnx/proto';
import { SHARD_INDEX } from '../core/hub/download';
import { importSafetensors, readHFConfig, weightFiles } from './safetensorsImport';

/** Bumped when the graphs we build change, so old caches are rebuilt. */
const FORMAT = 1;
/**
 * The folder that holds what we build: inside a plain model folder; for a Hugging Face cache snapshot, in the repo's
 * cache folder beside snapshots/ (models--org--name/.cloze-onnx/<commit>-<weights hash>), so the snapshot stays
 * exactly what the Hub serves.
 */
export const DERIVED_DIR = '.cloze-onnx';
const STAMP = 'cloze-source.json';
/** Files whose change invalidates the built folder (besides the weight files themselves). */
const SOURCE_FILES = ['model.safetensors', SHARD_INDEX, 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];
const COPIED = ['tokenizer.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/** Where built folders go when the model's own folder is read-only: the user cache (XDG / LOCALAPPDATA). */
export function clozeCacheRoot(): string {
  if (process.env.CLOZE_CACHE) return process.env.CLOZE_CACHE;
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'cloze', 'cache');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cloze');
}

async function stampOf(dir: string, weights: readonly string[]): Promise<string> {
  const files: Record<string, [number, number] | null> = {};
  for (const f of [...SOURCE_FILES, ...weights.filter((w) => !SOURCE_FILES.includes(w))]) {
    try {
      const st = await fs.stat(path.join(dir, f));
      files[f] = [st.size, Math.round(st.mtimeMs)];
    } catch {
      files[f] = null;
    }
  }
  return JSON.stringify({ format: FORMAT, graph: GRAPH_REVISION, source: dir, files }, null, 2) + '\n';
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  const t = await readText(file);
  if (t === undefined) return {};
  try {
    const v: unknown = JSON.parse(t);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (e) {
    throw new ClozeError('model-corrupt', `${file} is not valid JSON: ${errorText(e)}.`);
  }
}

/** `org/name` for a Hugging Face cache snapshot (…/models--org--name/snapshots/<sha>), else the folder's name. */
function displayName(dir: string): string {
  const m = /models--(.+?)[\\/]snapshots[\\/][^\\/]+$/.exec(dir);
  return m ? m[1].split('--').join('/') : path.basename(dir);
}

/**
 * The folder the engine should load for `dir`, which holds model.safetensors and no ONNX: `dir/.cloze-onnx` when it
 * is current (or can be written), else a folder under the Cloze cache. It holds config.json, the tokenizer files
 * (tokenizer.json built from vocab files when missing), a link to the weights, and `onnx/model_masked.onnx`.
 */
export async function prepareSafetensorsFolder(dir: string, log?: (message: string) => void): Promise<string> {
  const abs = path.resolve(dir);
  const weights = await weightFiles(abs);
  const stamp = await stampOf(abs, weights);
  const hashed = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  const snapshot = SNAPSHOT.exec(abs);
  const beside = snapshot ? path.join(snapshot[1], DERIVED_DIR, `${snapshot[2]}-${await weightsKey(abs, weights)}`) : path.join(abs, DERIVED_DIR);
  const places = [beside, path.join(clozeCacheRoot(), 'onnx', `${path.basename(abs).replace(/[^\w.-]/g, '_')}-${hashed}`)];
  // Earlier versions built inside the snapshot; what we made there goes (the Hub's files stay).
  if (snapshot && (await isFile(path.join(abs, DERIVED_DIR, STAMP)))) await fs.rm(path.join(abs, DERIVED_DIR), { recursive: true, force: true }).catch(() => undefined);
  for (const p of places) if ((await readText(path.join(p, STAMP))) === stamp) return p;

  const started = Date.now();
  let lastError: unknown;
  for (const target of places) {
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.mkdir(path.join(tmp, 'onnx'), { recursive: true });
    } catch (e) {
      lastError = e;
      continue;
    }
    try {
      await build(abs, tmp, stamp);
      await fs.rm(target, { recursive: true, force: true });
      try {
        await fs.rename(tmp, target);
      } catch (e) {
        // Another process built it at the same moment: use theirs if it is current.
        if ((await readText(path.join(target, STAMP))) !== stamp) throw e;
      }
      if (snapshot && target === beside) await pruneOlder(path.dirname(beside), `${snapshot[2]}-`, path.basename(beside));
      log?.(`Built ONNX inference graph for ${abs} from ${weights.length > 1 ? `${weights.length} safetensors shards` : 'model.safetensors'} into ${target} in ${Date.now() - started} ms`);
      return target;
    } catch (e) {
      lastError = e;
      if (e instanceof ClozeError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new ClozeError('model-corrupt', `No space left on the disk to build the ONNX graph for ${abs} (it needs about the size of model.safetensors). Free some space and reload.`, errorText(e));
      }
    } finally {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  throw new ClozeError('model-corrupt', `Cannot write the ONNX graph built from ${abs}/model.safetensors (tried ${places.join(' and ')}): ${errorText(lastError)}.`, errorText(lastError));
}

/** A Hugging Face cache snapshot: …/models--org--name/snapshots/<commit>. */
const SNAPSHOT = /^(.*[\\/]models--[^\\/]+)[\\/]snapshots[\\/]([0-9a-f]{40})$/;

/**
 * A short key for the weights: their blob names where they link into the HF cache's blobs/ (the LFS sha256 of the
 * content), else their sizes and times.
 */
async function weightsKey(dir: string, weights: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const w of weights) {
    const real = await fs.realpath(path.join(dir, w)).catch(() => path.join(dir, w));
    const blob = path.basename(real);
    if (/^[0-9a-f]{64}$/.test(blob)) h.update(`${w}=${blob}\n`);
    else {
      const st = await fs.stat(real).catch(() => undefined);
      h.update(`${w}=${st?.size}:${Math.round(st?.mtimeMs ?? 0)}\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Graphs built from earlier weights of the same snapshot: replaced by the one just built. */
async function pruneOlder(folder: string, prefix: string, keep: string): Promise<void> {
  for (const e of await fs.readdir(folder).catch(() => [] as string[])) {
    if (e.startsWith(prefix) && e !== keep && !e.includes('.tmp-')) await fs.rm(path.join(folder, e), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Links (or copies) `from` to `to`: the built folder points at the weights instead of duplicating them. */
async function linkWeights(from: string, to: string): Promise<void> {
  const real = await fs.realpath(from);
  try {
    await fs.symlink(real, to);
  } catch {
    try {
      await fs.link(real, to);
    } catch {
      await fs.copyFile(real, to);
    }
  }
}

async function build(src: string, out: string, stamp: string): Promise<void> {
  const cfg = await readHFConfig(src);
  const { params } = await importSafetensors(src);
  const config = await readJsonObject(path.join(src, 'config.json'));
  if (typeof config._name_or_path !== 'string' || !config._name_or_path) config._name_or_path = displayName(src);
  await fs.writeFile(path.join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  const tokCfg = await readJsonObject(path.join(src, 'tokenizer_config.json'));
  const specialMap = await readJsonObject(path.join(src, 'special_tokens_map.json'));
  const special = specialTokensOf(cfg.modelType, tokCfg, specialMap);
  for (const f of COPIED) if (await isFile(path.join(src, f))) await fs.copyFile(path.join(src, f), path.join(out, f));
  if (!(await isFile(path.join(src, 'tokenizer.json')))) {
    const tok = await buildTokenizerJson(src, cfg.modelType, tokCfg, special);
    if (!tok) {
      throw new ClozeError('tokenizer', `${src} has no tokenizer.json, and no ${cfg.modelType === 'bert' ? 'vocab.txt' : 'vocab.json + merges.txt'} to build one from. Download the model's tokenizer files too.`);
    }
    await fs.writeFile(path.join(out, 'tokenizer.json'), JSON.stringify(tok));
  }
  // Hub checkpoints such as bert-base-uncased name no special tokens: transformers' tokenizer classes supply them.
  const fullTokCfg: Record<string, unknown> = { cls_token: special.cls, sep_token: special.sep, pad_token: special.pad, unk_token: special.unk, mask_token: special.mask, ...tokCfg };
  await fs.writeFile(path.join(out, 'tokenizer_config.json'), JSON.stringify(fullTokCfg, null, 2) + '\n');

  // The weights themselves (one file, or the index and its shards), so that training can start from this folder
  // (and transformers can load it).
  const weights = await weightFiles(src);
  for (const w of weights.length > 1 ? [SHARD_INDEX, ...weights] : weights) await linkWeights(path.join(src, w), path.join(out, w));
  await fs.writeFile(path.join(out, 'onnx', 'model_masked.onnx'), encodeModel(inferenceGraph(cfg, params, { maskedPositions: true }).toProto()));
  await fs.writeFile(path.join(out, STAMP), stamp);
}
