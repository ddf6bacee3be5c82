// Reads and validates a model folder in Hugging Face layout, so any fill-mask ONNX export drops in.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ClozeError } from './errors';
import { readJsonObject } from './jsonFile';
import { checkReadable, isFile as exists, pathExists, type FileKind } from './paths';
import { resolveModelDir } from './modelPointer';
import { choosePrecision, type Precision } from './precision';

/** The parts of config.json the engine relies on. */
export interface HFConfig {
  model_type?: string;
  vocab_size?: number;
  max_position_embeddings?: number;
  pad_token_id?: number;
  architectures?: string[];
  [key: string]: unknown;
}

export interface ModelFiles {
  readonly dir: string;
  /** A short display name: `_name_or_path`'s tail or the folder name. */
  readonly name: string;
  readonly config: HFConfig;
  readonly tokenizerPath: string;
  readonly onnxPath: string;
  /** The mask token as the tokenizer spells it (`[MASK]`, `<mask>`). */
  readonly maskToken: string;
  /** Special-token strings named by tokenizer_config.json / special_tokens_map.json (cls, sep, pad, …). */
  readonly specialTokens: Readonly<Record<string, string>>;
  /** Positions the model can take, from tokenizer_config's model_max_length and config's max positions. */
  readonly maxTokens: number;
  /** Which graph `onnxPath` is (precision.ts), and why it was chosen. */
  readonly precision: 'fp32' | 'int8';
  readonly precisionReason: string;
}

/** ONNX files in the order we prefer them: our own head-at-masks export, then Optimum's and transformers.js' names. */
const ONNX_CANDIDATES = ['onnx/model_masked.onnx', 'model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx'];

/** Caps on what the loaders read: far above any real file of the kind, far below what hurts the service. */
export const TOKENIZER_JSON: FileKind = { what: 'tokenizer.json', maxBytes: 256 * 1024 * 1024 };
const ONNX_BYTES = 8 * 1024 * 1024 * 1024;

/** A JSON file of the model folder; a damaged one is `model-corrupt` (the download or export is incomplete). */
function readFolderJson(file: string): Promise<Record<string, unknown> | undefined> {
  return readJsonObject(file, {
    code: 'model-corrupt',
    invalid: `${path.basename(file)} in the model folder is not valid JSON; the download or export may be incomplete. Re-export or re-download the model.`,
  });
}

/** Token strings may be written as "x" or as an AddedToken object {content: "x", …}. */
export function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

const SPECIAL_KEYS = ['mask_token', 'cls_token', 'sep_token', 'pad_token', 'unk_token', 'bos_token', 'eos_token'];

/** What tokenizer_config.json and special_tokens_map.json say about a folder's tokenizer. */
export interface TokenizerConfig {
  /** tokenizer_config.json as read ({} when absent). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Special-token strings by key (mask_token, cls_token, …): tokenizer_config.json first, then special_tokens_map.json. */
  readonly specialTokens: Readonly<Record<string, string>>;
}

/** Reads the special tokens of the (resolved) folder `abs` as Hugging Face does. */
export async function readTokenizerConfig(abs: string, read: (file: string) => Promise<Record<string, unknown> | undefined> = readFolderJson): Promise<TokenizerConfig> {
  const config = (await read(path.join(abs, 'tokenizer_config.json'))) ?? {};
  const specialMap = (await read(path.join(abs, 'special_tokens_map.json'))) ?? {};
  const specialTokens: Record<string, string> = {};
  for (const k of SPECIAL_KEYS) {
    const v = tokenString(config[k]) ?? tokenString(specialMap[k]);
    if (v !== undefined) specialTokens[k] = v;
  }
  return { config, specialTokens };
}

/** Start, mask and end: the smallest window that can hold a fill. */
const MIN_TOKENS = 3;

/** A count read from a config file: absent is fine, anything but a whole number ≥ 1 (and < 2^31) is an error. */
function positiveInt(v: unknown, file: string, key: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
    throw new ClozeError('model-corrupt', `${file} has ${key} = ${JSON.stringify(v)}; it must be a whole number of tokens ≥ 1. The file is damaged or not from a Hugging Face export.`);
  }
  return v;
}

export async function readModelFolder(dir: string, opts: { readonly precision?: Precision } = {}): Promise<ModelFiles> {
  // A folder `cloze train` exported holds versions and a pointer to the current one (modelPointer.ts).
  const given = path.resolve(dir);
  const abs = await resolveModelDir(given);
  let st;
  try {
    st = await fs.stat(abs);
  } catch {
    throw new ClozeError('model-missing', `Model folder not found: ${abs}. Point Cloze at a folder that holds config.json, tokenizer.json and model.onnx (or onnx/model.onnx).`);
  }
  if (!st.isDirectory()) {
    throw new ClozeError('model-missing', `${abs} is a file, not a model folder. Select the folder that contains config.json, tokenizer.json and model.onnx.`);
  }
  const configFile = path.join(abs, 'config.json');
  if (!(await pathExists(configFile))) {
    throw new ClozeError('model-corrupt', 'The model folder has no config.json. A Hugging Face model folder needs config.json, tokenizer.json and model.onnx (or onnx/model.onnx).');
  }
  const config = (await readFolderJson(configFile)) as HFConfig;
  const tokenizerPath = path.join(abs, 'tokenizer.json');
  if (!(await pathExists(tokenizerPath))) {
    throw new ClozeError('model-corrupt', `The model folder ${abs} has no tokenizer.json. Cloze needs the fast-tokenizer file that Hugging Face exports (tokenizer.save_pretrained writes it).`);
  }
  let onnxPath: string | undefined;
  for (const c of ONNX_CANDIDATES) {
    if (await exists(path.join(abs, c))) {
      onnxPath = path.join(abs, c);
      break;
    }
  }
  if (!onnxPath) {
    throw new ClozeError('model-corrupt', `The model folder ${abs} has no ONNX model (looked for ${ONNX_CANDIDATES.join(', ')}). Export one with Hugging Face Optimum: optimum-cli export onnx --task fill-mask.`);
  }
  const chosen = await choosePrecision(abs, onnxPath, opts.precision ?? 'fp32');
  onnxPath = chosen.onnxPath;
  await checkReadable(tokenizerPath, TOKENIZER_JSON, 'model-corrupt');
  await checkReadable(onnxPath, { what: path.relative(abs, onnxPath), maxBytes: ONNX_BYTES }, 'model-corrupt');

  const { config: tokCfg, specialTokens } = await readTokenizerConfig(abs);
  const maskToken = specialTokens.mask_token;
  if (!maskToken) {
    throw new ClozeError('no-mask-token', `The tokenizer of ${path.basename(abs)} defines no mask token (mask_token in tokenizer_config.json or special_tokens_map.json), so it is not a fill-mask model. Choose a masked language model such as a BERT or RoBERTa export.`);
  }
  const maxPos = positiveInt(config.max_position_embeddings, 'config.json', 'max_position_embeddings') ?? 512;
  // RoBERTa reserves padding_idx+1 positions, so its usable length is max_position_embeddings - 2.
  const posLimit = config.model_type === 'roberta' || config.model_type === 'xlm-roberta' || config.model_type === 'camembert' ? maxPos - 2 : maxPos;
  // Hugging Face writes a huge number (1e30) for "no limit of its own".
  const mmlRaw = typeof tokCfg.model_max_length === 'number' && tokCfg.model_max_length >= 1e9 ? undefined : tokCfg.model_max_length;
  const mml = positiveInt(mmlRaw, 'tokenizer_config.json', 'model_max_length') ?? posLimit;
  if (Math.min(posLimit, mml) < MIN_TOKENS) {
    throw new ClozeError('model-corrupt', `${path.basename(abs)} allows only ${Math.min(posLimit, mml)} tokens (max_position_embeddings ${maxPos}, model_max_length ${mml}); a fill needs at least ${MIN_TOKENS}. The config files are probably damaged.`);
  }
  const nameOrPath = typeof config._name_or_path === 'string' && config._name_or_path ? config._name_or_path : given;
  return {
    // The folder as named (a trained model's stable folder, not its current version): what settings and status compare.
    dir: given,
    name: path.basename(nameOrPath) || path.basename(abs),
    config,
    tokenizerPath,
    onnxPath,
    maskToken,
    specialTokens,
    maxTokens: Math.min(posLimit, mml),
    precision: chosen.precision,
    precisionReason: chosen.reason,
  };
}
