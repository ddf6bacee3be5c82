// How unexpected each token of a text is to the model, given everything around it: each token masked in turn (rows
// batched), −log2 of the probability the model gives the token that is really there. A typo or an odd line stands out.
import type { Engine } from './engine';
import { ClozeError } from './errors';

export interface TokenSurprisal {
  /** UTF-16 offsets into the text, end exclusive (pieces of one character are merged into one entry). */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Surprisal in bits (summed over the pieces merged into this entry). */
  readonly bits: number;
  /** 1-based rank of the true piece among the model's candidates (of the first piece when merged). */
  readonly rank: number;
  /** The model's own best candidates at this position (specials and fragments left out), best first. */
  readonly top: readonly { readonly text: string; readonly score: number }[];
}

export interface SurprisalOptions {
  /** Only tokens overlapping [from, to) are scored (the context still comes from around them). */
  readonly from?: number;
  readonly to?: number;
  /** Token budget of each row, framing included (capped at the model's positions). */
  readonly contextTokens?: number;
  /** Rows per model run. */
  readonly batch?: number;
  readonly topK?: number;
  readonly isCancelled?: () => boolean;
}

/** Code point offsets (what the tokenizers binding reports) to UTF-16 offsets (what editors and JS strings use). */
function utf16Offsets(text: string): number[] {
  const out: number[] = [];
  let u = 0;
  for (const ch of text) {
    out.push(u);
    u += ch.length;
  }
  out.push(u);
  return out;
}

export async function surprisal(engine: Engine, text: string, opts: SurprisalOptions = {}): Promise<TokenSurprisal[]> {
  const tok = engine.tokenizer;
  const enc = await tok.encodeWithOffsets(text);
  const at = utf16Offsets(text);
  const from = opts.from ?? 0;
  const to = opts.to ?? text.length;
  const spans = enc.offsets.map(([a, b]) => [at[a] ?? text.length, at[b] ?? text.length] as const);
  const wanted = enc.ids.map((_, i) => spans[i][1] > from && spans[i][0] < to && spans[i][1] > spans[i][0]);
  const inner = Math.max(8, Math.min(opts.contextTokens ?? 256, engine.info.maxTokens)) - 2;
  const half = Math.floor(inner / 2);
  const batch = Math.max(1, opts.batch ?? 16);
  const topK = opts.topK ?? 5;
  const banned = engine.neverOffered;
  const LN2 = Math.log(2);

  // One row per scored token: the window of `inner` ids centred on it (shifted at the text's edges), token masked.
  const scored: { i: number; bits: number; rank: number; top: { id: number; p: number }[] }[] = [];
  const todo = enc.ids.map((_, i) => i).filter((i) => wanted[i]);
  for (let k = 0; k < todo.length; k += batch) {
    if (opts.isCancelled?.()) throw new ClozeError('cancelled', 'The surprisal request was superseded.');
    const chunk = todo.slice(k, k + batch);
    const width = Math.min(inner, enc.ids.length);
    const rows: number[][] = [];
    const positions: number[] = [];
    for (const i of chunk) {
      const lo = Math.max(0, Math.min(i - half, enc.ids.length - width));
      const body = enc.ids.slice(lo, lo + width);
      body[i - lo] = tok.maskId;
      rows.push([tok.clsId, ...body, tok.sepId]);
      positions.push(i - lo + 1);
    }
    const logits = await engine.logitsAtRows(rows, positions, opts.isCancelled);
    chunk.forEach((i, b) => {
      const o = logits.offset(b);
      const truth = enc.ids[i];
      let max = -Infinity;
      for (let v = 0; v < logits.vocab; v++) if (logits.data[o + v] > max) max = logits.data[o + v];
      let sum = 0;
      let above = 0;
      const lt = logits.data[o + truth];
      for (let v = 0; v < logits.vocab; v++) {
        const x = logits.data[o + v];
        sum += Math.exp(x - max);
        if (x > lt) above++;
      }
      const logZ = max + Math.log(sum);
      const top: { id: number; p: number }[] = [];
      for (let v = 0; v < logits.vocab; v++) {
        if (banned.has(v)) continue;
        const x = logits.data[o + v];
        if (top.length < topK || x > top[top.length - 1].p) {
          top.push({ id: v, p: x });
          top.sort((a, c) => c.p - a.p);
          if (top.length > topK) top.pop();
        }
      }
      scored.push({ i, bits: (logZ - lt) / LN2, rank: above + 1, top: top.map((t) => ({ id: t.id, p: Math.exp(t.p - logZ) })) });
    });
  }

  // Pieces of one character (byte-level fragments share its offsets) become one entry.
  const out: TokenSurprisal[] = [];
  for (const s of scored) {
    const [start, end] = spans[s.i];
    const prev = out[out.length - 1];
    if (prev && prev.start === start && prev.end === end) {
      out[out.length - 1] = { ...prev, bits: prev.bits + s.bits };
      continue;
    }
    const top: { text: string; score: number }[] = [];
    for (const t of s.top) top.push({ text: await tok.decode([t.id]), score: t.p });
    out.push({ start, end, text: text.slice(start, end), bits: s.bits, rank: s.rank, top });
  }
  return out;
}
