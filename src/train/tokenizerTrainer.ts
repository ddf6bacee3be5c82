// Trains a byte-level BPE tokenizer in RoBERTa layout, at any vocabulary size, deterministically.
//
// The `tokenizers` binding's `train(files)` takes no options (it always aims at 30,000 tokens). BPE merges are learned
// in order of frequency, so the first K merges over the full byte alphabet are exactly the tokenizer one would get
// with a smaller target: we train once and keep the prefix. Byte-level BPE training is also deterministic, which the
// binding's WordPiece training is not (two runs on the same files can give different vocabularies).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BPE, byteLevelAlphabet, byteLevelPreTokenizer, Tokenizer } from 'tokenizers';

export const SPECIALS = { cls: '<s>', pad: '<pad>', sep: '</s>', unk: '<unk>', mask: '<mask>' } as const;

export interface TokenizerTrainOptions {
  /** Total vocabulary, special tokens included (≤ ~30,000, the binding's fixed training target). */
  readonly vocabSize: number;
  readonly modelMaxLength: number;
}

export interface TrainedTokenizer {
  readonly vocabSize: number;
  readonly merges: number;
}

function addedToken(id: number, content: string, lstrip = false) {
  return { id, content, single_word: false, lstrip, rstrip: false, normalized: content !== SPECIALS.mask, special: true };
}

/** Trains on `files` (plain text) and writes tokenizer.json, tokenizer_config.json and special_tokens_map.json to `outDir`. */
export function trainByteLevelBpe(files: readonly string[], outDir: string, opts: TokenizerTrainOptions): TrainedTokenizer {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-bpe-'));
  let merges: [string, string][];
  try {
    const tok = new Tokenizer(BPE.empty());
    tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
    tok.train([...files]);
    tok.save(path.join(tmp, 'raw.json'), false);
    const raw = JSON.parse(readFileSync(path.join(tmp, 'raw.json'), 'utf8')) as { model: { merges: ([string, string] | string)[] } };
    merges = raw.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // A Map, not an object: tokens such as "toString" or "__proto__" are ordinary vocabulary here.
  const ids = new Map<string, number>();
  const add = (t: string) => {
    if (!ids.has(t)) ids.set(t, ids.size);
  };
  [SPECIALS.cls, SPECIALS.pad, SPECIALS.sep, SPECIALS.unk].forEach(add);
  // Every byte gets a token, seen in training or not, so no input is ever unrepresentable.
  byteLevelAlphabet().sort().forEach(add);
  const kept: [string, string][] = [];
  const budget = opts.vocabSize - 1; // the mask token comes last, as in roberta-base
  for (const [a, b] of merges) {
    if (ids.size >= budget) break;
    if (!ids.has(a) || !ids.has(b)) continue;
    kept.push([a, b]);
    add(a + b);
  }
  const maskId = ids.size;
  ids.set(SPECIALS.mask, maskId);
  const vocab = Object.fromEntries(ids);

  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(0, SPECIALS.cls), addedToken(1, SPECIALS.pad), addedToken(2, SPECIALS.sep), addedToken(3, SPECIALS.unk), addedToken(maskId, SPECIALS.mask, true)],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: [SPECIALS.sep, 2], cls: [SPECIALS.cls, 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: kept },
  };
  const decoderEntries = Object.fromEntries(tokenizerJson.added_tokens.map(({ id, ...t }) => [String(id), { content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: false, single_word: false, special: true }]));
  const tokenizerConfig = {
    add_prefix_space: false,
    added_tokens_decoder: decoderEntries,
    bos_token: SPECIALS.cls,
    clean_up_tokenization_spaces: true,
    cls_token: SPECIALS.cls,
    eos_token: SPECIALS.sep,
    errors: 'replace',
    mask_token: SPECIALS.mask,
    model_max_length: opts.modelMaxLength,
    pad_token: SPECIALS.pad,
    sep_token: SPECIALS.sep,
    tokenizer_class: 'RobertaTokenizer',
    trim_offsets: true,
    unk_token: SPECIALS.unk,
  };
  const specialMap = {
    bos_token: SPECIALS.cls,
    cls_token: SPECIALS.cls,
    eos_token: SPECIALS.sep,
    mask_token: { content: SPECIALS.mask, lstrip: true, normalized: false, rstrip: false, single_word: false },
    pad_token: SPECIALS.pad,
    sep_token: SPECIALS.sep,
    unk_token: SPECIALS.unk,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
  writeFileSync(path.join(outDir, 'special_tokens_map.json'), JSON.stringify(specialMap, null, 2) + '\n');
  return { vocabSize: maskId + 1, merges: kept.length };
}
