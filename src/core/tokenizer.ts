// Wraps the Hugging Face `tokenizers` binding with what fill-mask needs: ids, special ids, and words for display.
import { readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { BYTE_FALLBACK, isByteFragment } from './byteLevel';
import { ClozeError, errorText } from './errors';
import { readJsonObject } from './jsonFile';
import { readTokenizerConfig, type ModelFiles } from './modelFolder';
import { resolveModelDir } from './modelPointer';

/**
 * A tokenizer with the ids that framing rows, padding and masking need: what training, evaluation and the int8 check
 * read from a folder that holds tokenizer.json (a whole model folder, or a tokenizer alone).
 */
export interface FramingTokenizer {
  /** The binding's tokenizer, with the file's own truncation and padding off (rows are framed by the caller). */
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

/** The parts of tokenizer.json this file reads. */
interface TokenizerJson {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  model?: { type?: string; continuing_subword_prefix?: string };
  decoder?: { type?: string; decoders?: { type?: string }[] } | null;
  post_processor?: { type?: string; cls?: [string, number]; sep?: [string, number] } | null;
}

/**
 * Resolves the framing, padding and mask ids from the named special tokens (tokenizer_config.json /
 * special_tokens_map.json, as Hugging Face does), falling back to the post-processor's own CLS/SEP and the family's
 * conventional spellings.
 */
function framing(tokenizer: Tokenizer, json: TokenizerJson, named: Readonly<Record<string, string>>, dir: string): FramingTokenizer {
  // Rows are framed here: the file's own truncation or padding would cut documents short.
  tokenizer.disableTruncation();
  tokenizer.disablePadding();
  const post = json.post_processor ?? {};
  const family: 'bert' | 'roberta' = post.type === 'RobertaProcessing' || named.cls_token === '<s>' ? 'roberta' : 'bert';
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
  const clsId = idOf(named.cls_token, named.bos_token, post.cls?.[0], conventional.cls);
  const sepId = idOf(named.sep_token, named.eos_token, post.sep?.[0], conventional.sep);
  const padId = idOf(named.pad_token, conventional.pad);
  const maskId = idOf(named.mask_token, conventional.mask);
  if (clsId === undefined || sepId === undefined || padId === undefined || maskId === undefined) {
    const missing = [clsId === undefined && 'cls', sepId === undefined && 'sep', padId === undefined && 'pad', maskId === undefined && 'mask'].filter(Boolean).join(', ');
    throw new ClozeError('tokenizer', `The tokenizer in ${dir} lacks the ${missing} token(s) masked-LM training needs. Use the tokenizer of a BERT- or RoBERTa-style fill-mask model.`);
  }
  const special = new Set<number>([clsId, sepId, padId, maskId]);
  for (const t of json.added_tokens ?? []) if (t.special) special.add(t.id);
  for (const k of ['unk_token', 'bos_token', 'eos_token']) {
    const id = idOf(named[k]);
    if (id !== undefined) special.add(id);
  }
  return {
    tokenizer,
    dir,
    clsId,
    sepId,
    padId,
    maskId,
    specialIds: [...special].sort((a, b) => a - b),
    vocabSize: tokenizer.getVocabSize(true),
    family,
  };
}

/** Loads `dir/tokenizer.json` (following a trained model's version pointer) with its framing ids. */
export async function loadFramingTokenizer(dir: string): Promise<FramingTokenizer> {
  const abs = await resolveModelDir(dir);
  const file = path.join(abs, 'tokenizer.json');
  let tokenizer: Tokenizer;
  let json: TokenizerJson;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as TokenizerJson;
    tokenizer = Tokenizer.fromFile(file);
  } catch (e) {
    throw new ClozeError('tokenizer', `No usable tokenizer.json in ${abs}. Point --tokenizer (or --from) at a Hugging Face model folder that has one.`, errorText(e));
  }
  const { specialTokens } = await readTokenizerConfig(abs, (f) => readJsonObject(f, { code: 'tokenizer', invalid: `${f} is not valid JSON; fix or remove it.` }));
  return framing(tokenizer, json, specialTokens, abs);
}

/** How a vocabulary piece reads as text. `attach` means it continues the previous word (WordPiece `##x`, BPE without `Ġ`). */
export interface PieceText {
  readonly text: string;
  readonly attach: boolean;
}

type Style = 'wordpiece' | 'bytelevel' | 'metaspace' | 'plain';

export class MaskTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    readonly maskId: number,
    readonly clsId: number,
    readonly sepId: number,
    readonly padId: number,
    /** Ids never offered as fills: every special/added-special token. */
    readonly specialIds: ReadonlySet<number>,
    /** Ids that decode to whitespace only (a space, newlines, indentation): never what a mask stands for. */
    readonly blankIds: ReadonlySet<number>,
    /** Pieces that are part of a character (byte-level fragments, byte fallback): alone they decode to U+FFFD. */
    readonly fragmentIds: ReadonlySet<number>,
    readonly vocabSize: number,
    private readonly style: Style,
    private readonly wordpiecePrefix: string,
    private readonly json: TokenizerJson,
    private readonly files: ModelFiles,
  ) {}

  /**
   * Byte-level pieces' texts, decoded once: a piece always decodes the same, and each decode is a round trip through
   * the binding's thread pool (8 of them per fill were ~1 ms of a ~6 ms fill of the bundled model). At most one entry
   * per vocabulary id.
   */
  private readonly decodedPieces = new Map<number, PieceText>();

  static load(files: ModelFiles): MaskTokenizer {
    let tok: Tokenizer;
    let json: TokenizerJson;
    try {
      json = JSON.parse(readFileSync(files.tokenizerPath, 'utf8'));
      tok = Tokenizer.fromFile(files.tokenizerPath);
    } catch (e) {
      throw new ClozeError('tokenizer', `tokenizer.json in ${files.dir} could not be read; the file may be damaged or from an incompatible tokenizers version.`, errorText(e));
    }
    const id = (s: string | undefined): number | undefined => (s === undefined ? undefined : (tok.tokenToId(s) ?? undefined));
    const maskId = id(files.maskToken);
    if (maskId === undefined) {
      throw new ClozeError('no-mask-token', `The mask token "${files.maskToken}" named by the model's tokenizer config is not in its vocabulary; this tokenizer cannot fill masks.`);
    }
    const st = files.specialTokens;
    const clsId = id(st.cls_token) ?? id(st.bos_token);
    const sepId = id(st.sep_token) ?? id(st.eos_token);
    if (clsId === undefined || sepId === undefined) {
      throw new ClozeError('tokenizer', `The tokenizer of ${files.name} has no start/end tokens (cls_token/sep_token or bos_token/eos_token) in its config; Cloze cannot frame a sentence for it.`);
    }
    const padId = id(st.pad_token) ?? (typeof files.config.pad_token_id === 'number' ? files.config.pad_token_id : 0);
    const special = new Set<number>();
    for (const t of json.added_tokens ?? []) if (t.special) special.add(t.id);
    for (const s of Object.values(st)) {
      const i = id(s);
      if (i !== undefined) special.add(i);
    }
    const decoders = [json.decoder?.type, ...(json.decoder?.decoders ?? []).map((d) => d.type)];
    const style: Style = json.model?.type === 'WordPiece' || decoders.includes('WordPiece')
      ? 'wordpiece'
      : decoders.includes('ByteLevel')
        ? 'bytelevel'
        : decoders.includes('Metaspace')
          ? 'metaspace'
          : 'plain';
    // Byte-level BPE spells space, tab, newline and carriage return as Ġ ĉ Ċ č; SentencePiece spells space as ▁.
    const blankPiece = style === 'bytelevel' ? /^[\u0120\u0109\u010A\u010D]+$/ : style === 'metaspace' ? /^\u2581+$/ : /^\s+$/;
    const blank = new Set<number>();
    const fragments = new Set<number>();
    for (const [piece, i] of Object.entries(tok.getVocab(true))) {
      if (special.has(i)) continue;
      if (blankPiece.test(piece)) blank.add(i);
      else if (style === 'bytelevel' ? isByteFragment(piece) : BYTE_FALLBACK.test(piece)) fragments.add(i);
    }
    return new MaskTokenizer(tok, maskId, clsId, sepId, padId, special, blank, fragments, tok.getVocabSize(true), style, json.model?.continuing_subword_prefix ?? '##',
      // Only what framing() reads: the whole parsed file (the vocabulary) need not stay in memory.
      { added_tokens: json.added_tokens, post_processor: json.post_processor }, files);
  }

  /**
   * The same tokenizer with training's framing ids (which resolve a few tokens differently from fill's), for
   * evaluating the model this tokenizer belongs to without reading its files again.
   */
  framing(): FramingTokenizer {
    return framing(this.tok, this.json, this.files.specialTokens, path.dirname(this.files.tokenizerPath));
  }

  /** Token ids of `text` without special tokens around it. */
  async encodeIds(text: string): Promise<number[]> {
    const enc = await this.tok.encode(text, null, { addSpecialTokens: false });
    return enc.getIds();
  }

  /** Ids of `text` (no special tokens) with each piece's [start, end) in code points, as the binding reports them. */
  async encodeWithOffsets(text: string): Promise<{ ids: number[]; offsets: [number, number][] }> {
    const enc = await this.tok.encode(text, null, { addSpecialTokens: false });
    return { ids: enc.getIds(), offsets: enc.getOffsets() as [number, number][] };
  }

  /** Ids exactly as the tokenizer's own post-processor frames them (for parity checks). */
  async encodeFramed(text: string): Promise<number[]> {
    const enc = await this.tok.encode(text, null, { addSpecialTokens: true });
    return enc.getIds();
  }

  tokenToId(token: string): number | undefined {
    return this.tok.tokenToId(token) ?? undefined;
  }

  piece(id: number): string {
    return this.tok.idToToken(id) ?? '';
  }

  /** What Hugging Face's pipeline reports as token_str: the decoder applied to the single id. */
  decode(ids: number[]): Promise<string> {
    return this.tok.decode(ids, false);
  }

  /** The piece as a word to show and insert, and whether it glues onto the preceding word. */
  async pieceText(id: number): Promise<PieceText> {
    const piece = this.piece(id);
    switch (this.style) {
      case 'wordpiece':
        return piece.startsWith(this.wordpiecePrefix) && piece.length > this.wordpiecePrefix.length
          ? { text: piece.slice(this.wordpiecePrefix.length), attach: true }
          : { text: piece, attach: false };
      case 'bytelevel': {
        const known = this.decodedPieces.get(id);
        if (known) return known;
        const s = await this.decode([id]);
        const t = s.startsWith(' ') ? { text: s.slice(1), attach: false } : { text: s, attach: true };
        this.decodedPieces.set(id, t);
        return t;
      }
      case 'metaspace':
        return piece.startsWith('\u2581') ? { text: piece.slice(1), attach: false } : { text: piece, attach: true };
      default:
        return { text: piece, attach: false };
    }
  }
}
