// Turns documents into fixed-length token rows framed by the model's own start/end tokens, keeping word starts for whole-word masking.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { ClozeError, errorText } from '../core/errors';
import { resolveModelDir } from '../core/modelPointer';

/** A tokenizer plus the special ids that packing and masking need. */
export interface TrainTokenizer {
  readonly tokenizer: Tokenizer;
  /** Folder holding tokenizer.json and its companion files (copied into exported models). */
  readonly dir: string;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number;
  /** Every special/added-special id: never masked, never a random replacement, never a target. */
  readonly specialIds: readonly number[];
  readonly vocabSize: number;
  /** 'bert' for WordPiece-style framing ([CLS] … [SEP]), 'roberta' for <s> … </s>. */
  readonly family: 'bert' | 'roberta';
}

/**
 * Fixed-length rows. Row r occupies `ids[r*seq … r*seq+seq)`; its first `lengths[r]` tokens are real
 * (start token, content, end token), the rest is padding.
 */
export interface PackedSequences {
  readonly seq: number;
  readonly count: number;
  readonly ids: Int32Array;
  /** 1 where a token begins a word (whole-word masking treats a word start and its continuations as one unit). */
  readonly wordStart: Uint8Array;
  readonly lengths: Int32Array;
  /** Real tokens in all rows, framing included. */
  readonly tokens: number;
}

type Json = Record<string, unknown>;

async function readJsonIfAny(file: string): Promise<Json | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new ClozeError('tokenizer', `${file} is not valid JSON; fix or remove it.`, errorText(e));
  }
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/**
 * Loads `dir/tokenizer.json` and resolves the framing, padding and mask tokens from tokenizer_config.json /
 * special_tokens_map.json (as Hugging Face does), falling back to the post-processor's own CLS/SEP.
 */
export async function loadTrainTokenizer(dir: string): Promise<TrainTokenizer> {
  const abs = await resolveModelDir(dir);
  const file = path.join(abs, 'tokenizer.json');
  let tokenizer: Tokenizer;
  let json: Json;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as Json;
    tokenizer = Tokenizer.fromFile(file);
  } catch (e) {
    throw new ClozeError('tokenizer', `No usable tokenizer.json in ${abs}. Point --tokenizer (or --from) at a Hugging Face model folder that has one.`, errorText(e));
  }
  // Packing frames rows itself: the file's own truncation or padding would cut documents short.
  tokenizer.disableTruncation();
  tokenizer.disablePadding();

  const tokCfg = (await readJsonIfAny(path.join(abs, 'tokenizer_config.json'))) ?? {};
  const specialMap = (await readJsonIfAny(path.join(abs, 'special_tokens_map.json'))) ?? {};
  const named = (k: string): string | undefined => tokenString(tokCfg[k]) ?? tokenString(specialMap[k]);
  const post = (json.post_processor ?? {}) as { type?: string; cls?: [string, number]; sep?: [string, number] };
  const family: 'bert' | 'roberta' = post.type === 'RobertaProcessing' || named('cls_token') === '<s>' ? 'roberta' : 'bert';
  const conventional = family === 'roberta'
    ? { cls: '<s>', sep: '</s>', pad: '<pad>', mask: '<mask>' }
    : { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]' };
  const idOf = (...names: (string | undefined)[]): number | undefined => {
    for (const n of names) {
      if (n === undefined) continue;
      const id = tokenizer.tokenToId(n);
      if (id !== null && id !== undefined) return id;
    }
    return undefined;
  };
  const clsId = idOf(named('cls_token'), named('bos_token'), post.cls?.[0], conventional.cls);
  const sepId = idOf(named('sep_token'), named('eos_token'), post.sep?.[0], conventional.sep);
  const padId = idOf(named('pad_token'), conventional.pad);
  const maskId = idOf(named('mask_token'), conventional.mask);
  if (clsId === undefined || sepId === undefined || padId === undefined || maskId === undefined) {
    const missing = [clsId === undefined && 'cls', sepId === undefined && 'sep', padId === undefined && 'pad', maskId === undefined && 'mask'].filter(Boolean).join(', ');
    throw new ClozeError('tokenizer', `The tokenizer in ${abs} lacks the ${missing} token(s) masked-LM training needs. Use the tokenizer of a BERT- or RoBERTa-style fill-mask model.`);
  }
  const special = new Set<number>([clsId, sepId, padId, maskId]);
  for (const t of (json.added_tokens ?? []) as { id: number; special?: boolean }[]) if (t.special) special.add(t.id);
  for (const k of ['unk_token', 'bos_token', 'eos_token']) {
    const id = idOf(named(k));
    if (id !== undefined) special.add(id);
  }
  return {
    tokenizer,
    dir: abs,
    clsId,
    sepId,
    padId,
    maskId,
    specialIds: [...special].sort((a, b) => a - b),
    vocabSize: tokenizer.getVocabSize(true),
    family,
  };
}

/** Documents tokenized per call: large enough to keep the binding's worker threads busy, small enough to bound memory. */
const ENCODE_CHUNK = 16;

/**
 * Tokenizes the documents and packs them, in order, into rows of exactly `seq` tokens: each row is
 * `start + (seq-2) tokens of the document stream + end`, where the stream is the documents joined by the
 * end token (so a row may hold the tail of one document and the head of the next, as RoBERTa packs). Only the
 * last row is padded. The same documents always give the same rows.
 */
export async function packDocuments(tok: TrainTokenizer, texts: readonly string[], seq: number): Promise<PackedSequences> {
  if (!Number.isInteger(seq) || seq < 4) throw new RangeError(`sequence length must be an integer ≥ 4, got ${seq}`);
  const content = seq - 2;
  const streamIds = new GrowableInts();
  const streamStarts = new GrowableInts();
  for (let i = 0; i < texts.length; i += ENCODE_CHUNK) {
    const chunk = texts.slice(i, i + ENCODE_CHUNK);
    const encs = await tok.tokenizer.encodeBatch([...chunk], { addSpecialTokens: false });
    for (const enc of encs) {
      const ids = enc.getIds();
      if (ids.length === 0) continue;
      const words = enc.getWordIds();
      if (streamIds.size > 0) {
        streamIds.push(tok.sepId);
        streamStarts.push(1);
      }
      for (let k = 0; k < ids.length; k++) {
        streamIds.push(ids[k]);
        const w = words[k];
        streamStarts.push(k === 0 || w === null || w === undefined || w !== words[k - 1] ? 1 : 0);
      }
    }
  }
  const stream = streamIds.view();
  const starts = streamStarts.view();
  const count = Math.ceil(stream.length / content);
  const ids = new Int32Array(count * seq).fill(tok.padId);
  const wordStart = new Uint8Array(count * seq);
  const lengths = new Int32Array(count);
  let tokens = 0;
  for (let r = 0; r < count; r++) {
    const from = r * content;
    const n = Math.min(content, stream.length - from);
    const o = r * seq;
    ids[o] = tok.clsId;
    wordStart[o] = 1;
    for (let k = 0; k < n; k++) {
      ids[o + 1 + k] = stream[from + k];
      // A row that starts inside a word treats the fragment as a word of its own.
      wordStart[o + 1 + k] = k === 0 ? 1 : starts[from + k];
    }
    ids[o + 1 + n] = tok.sepId;
    wordStart[o + 1 + n] = 1;
    lengths[r] = n + 2;
    tokens += n + 2;
  }
  return { seq, count, ids, wordStart, lengths, tokens };
}

/** An Int32Array that doubles as it fills: a corpus of tens of millions of tokens would be ten times larger as a number[]. */
class GrowableInts {
  private buf = new Int32Array(1 << 16);
  size = 0;

  push(v: number): void {
    if (this.size === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.size++] = v;
  }

  view(): Int32Array {
    return this.buf.subarray(0, this.size);
  }
}
