// Builds tokenizer.json from a slow tokenizer's vocab.txt (BERT WordPiece) or vocab.json + merges.txt (RoBERTa
// byte-level BPE), and fills in the default special tokens, for Hub checkpoints that ship only those files.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import { tokenString } from '../core/modelFolder';
import { isFile } from '../core/paths';

export interface SpecialTokens {
  readonly cls: string;
  readonly sep: string;
  readonly pad: string;
  readonly unk: string;
  readonly mask: string;
}

/** What transformers' BertTokenizer / RobertaTokenizer use when tokenizer_config.json names no special tokens. */
export function defaultSpecialTokens(modelType: 'bert' | 'roberta'): SpecialTokens {
  return modelType === 'roberta'
    ? { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' }
    : { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' };
}

/** The special tokens named in tokenizer_config.json / special_tokens_map.json, defaults for the rest. */
export function specialTokensOf(modelType: 'bert' | 'roberta', ...configs: Record<string, unknown>[]): SpecialTokens {
  const d = defaultSpecialTokens(modelType);
  const pick = (key: string, fallback: string) => {
    for (const c of configs) {
      const v = tokenString(c[key]);
      if (v) return v;
    }
    return fallback;
  };
  return { cls: pick('cls_token', d.cls), sep: pick('sep_token', d.sep), pad: pick('pad_token', d.pad), unk: pick('unk_token', d.unk), mask: pick('mask_token', d.mask) };
}

function idOf(vocab: Map<string, number>, token: string, file: string): number {
  const id = vocab.get(token);
  if (id === undefined) throw new ClozeError('tokenizer', `${file} has no ${token} token, so a tokenizer cannot be built from it; add tokenizer.json (tokenizer.save_pretrained writes it).`);
  return id;
}

async function text(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new ClozeError('tokenizer', `Cannot read ${file}: ${errorText(e)}.`);
  }
}

function addedTokens(vocab: Map<string, number>, s: SpecialTokens, normalized: boolean, file: string): object[] {
  const seen = new Set<number>();
  const out: object[] = [];
  for (const t of [s.pad, s.unk, s.cls, s.sep, s.mask]) {
    const id = idOf(vocab, t, file);
    if (seen.has(id)) continue;
    seen.add(id);
    // RoBERTa's <mask> takes the space before it, as in transformers' tokenizer.
    out.push({ id, content: t, single_word: false, lstrip: t === s.mask && normalized, rstrip: false, normalized: normalized && t !== s.mask, special: true });
  }
  return out.sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
}

/**
 * A tokenizer.json (the `tokenizers` library's format) for the slow-tokenizer files in `dir`, or undefined when
 * `dir` has neither vocab.txt nor vocab.json + merges.txt.
 */
export async function buildTokenizerJson(dir: string, modelType: 'bert' | 'roberta', tokCfg: Record<string, unknown>, special: SpecialTokens): Promise<object | undefined> {
  const vocabTxt = path.join(dir, 'vocab.txt');
  const vocabJson = path.join(dir, 'vocab.json');
  const mergesTxt = path.join(dir, 'merges.txt');
  if (modelType === 'bert' && (await isFile(vocabTxt))) {
    const vocab = new Map<string, number>();
    for (const line of (await text(vocabTxt)).split(/\r?\n/)) if (line !== '' && !vocab.has(line)) vocab.set(line, vocab.size);
    const lowercase = typeof tokCfg.do_lower_case === 'boolean' ? tokCfg.do_lower_case : true;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens(vocab, special, false, vocabTxt),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: typeof tokCfg.tokenize_chinese_chars === 'boolean' ? tokCfg.tokenize_chinese_chars : true,
        strip_accents: typeof tokCfg.strip_accents === 'boolean' ? tokCfg.strip_accents : null,
        lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'BertProcessing', sep: [special.sep, idOf(vocab, special.sep, vocabTxt)], cls: [special.cls, idOf(vocab, special.cls, vocabTxt)] },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: special.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
    };
  }
  if (modelType === 'roberta' && (await isFile(vocabJson)) && (await isFile(mergesTxt))) {
    let raw: unknown;
    try {
      raw = JSON.parse(await text(vocabJson));
    } catch (e) {
      throw new ClozeError('tokenizer', `${vocabJson} is not valid JSON: ${errorText(e)}.`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ClozeError('tokenizer', `${vocabJson} is not a token → id map.`);
    const vocab = new Map<string, number>(Object.entries(raw as Record<string, number>));
    const merges = (await text(mergesTxt)).split(/\r?\n/).filter((l) => l !== '' && !l.startsWith('#version'));
    const addPrefixSpace = typeof tokCfg.add_prefix_space === 'boolean' ? tokCfg.add_prefix_space : false;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens(vocab, special, true, vocabJson),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
      post_processor: { type: 'RobertaProcessing', sep: [special.sep, idOf(vocab, special.sep, vocabJson)], cls: [special.cls, idOf(vocab, special.cls, vocabJson)], trim_offsets: true, add_prefix_space: addPrefixSpace },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab: Object.fromEntries(vocab), merges },
    };
  }
  return undefined;
}
