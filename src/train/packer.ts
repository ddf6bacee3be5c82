// Turns documents into fixed-length token rows framed by the model's own start/end tokens, keeping word starts for whole-word masking.
import type { FramingTokenizer } from '../core/tokenizer';

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

/** Documents tokenized per call: large enough to keep the binding's worker threads busy, small enough to bound memory. */
const ENCODE_CHUNK = 16;

/**
 * Tokenizes the documents and packs them, in order, into rows of exactly `seq` tokens: each row is
 * `start + (seq-2) tokens of the document stream + end`, where the stream is the documents joined by the
 * end token (so a row may hold the tail of one document and the head of the next, as RoBERTa packs). Only the
 * last row is padded. The same documents always give the same rows.
 */
export async function packDocuments(tok: FramingTokenizer, texts: readonly string[], seq: number): Promise<PackedSequences> {
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
