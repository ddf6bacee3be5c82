// Wraps the Hugging Face `tokenizers` binding with what fill-mask needs: ids, special ids, and words for display.
import { readFileSync } from 'node:fs';
import { Tokenizer } from 'tokenizers';
import { BYTE_FALLBACK, isByteFragment } from './byteLevel';
import { ClozeError, errorText } from './errors';
import type { ModelFiles } from './modelFolder';

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
  ) {}

  static load(files: ModelFiles): MaskTokenizer {
    let tok: Tokenizer;
    let json: { added_tokens?: { id: number; content: string; special?: boolean }[]; model?: { type?: string; continuing_subword_prefix?: string }; decoder?: { type?: string; decoders?: { type?: string }[] } | null };
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
    return new MaskTokenizer(tok, maskId, clsId, sepId, padId, special, blank, fragments, tok.getVocabSize(true), style, json.model?.continuing_subword_prefix ?? '##');
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
        const s = await this.decode([id]);
        return s.startsWith(' ') ? { text: s.slice(1), attach: false } : { text: s, attach: true };
      }
      case 'metaspace':
        return piece.startsWith('\u2581') ? { text: piece.slice(1), attach: false } : { text: piece, attach: true };
      default:
        return { text: piece, attach: false };
    }
  }
}
