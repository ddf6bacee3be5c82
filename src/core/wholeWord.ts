// Whole words from one mask: a [MASK] may stand for 1..N vocabulary pieces (`useState` is `Ġuse` + `State`), so the
// candidates of every length are generated, scored by pseudo-log-likelihood and ranked against each other.
//
// Rules (docs/whole-words.md):
// - A word is one piece, or a first piece made of identifier characters (letters, digits, `_`) followed by pieces that
//   continue it (WordPiece `##x`, byte-level pieces without a leading `Ġ`, SentencePiece pieces without `▁`), also made
//   of identifier characters. A piece that would start a new word ends the word: it is never offered as a continuation.
//   No word repeats one of its own pieces (side-by-side masks of a small model otherwise echo: `CountCountCount`,
//   `trim_trim`); `_` alone is never a repeat.
//   A multi-piece word must be the tokenizer's own spelling of its text (re-encoding the text gives the same pieces).
//   After a space the user typed, no word continues the word before the mask (edges.ts: the model cannot see that
//   space, so `All rights [MASK]` would otherwise offer `…ology`); words are generated that way, not filtered after.
// - Generation: for each length k the mask becomes k masks and a beam fills them, at each step the open position the
//   model is most sure of first. All lengths advance together, one batched model run per step.
// - Score: pseudo-log-likelihood — each piece re-masked in turn, the log-probabilities summed; every row of every
//   candidate in one batched run. Default `l2r` (Kauf & Ivanova 2023): the piece is masked together with the pieces to
//   its right, so `use` is not scored as if `State` gave it away; `pll` (Salazar et al. 2020) masks the piece alone,
//   which inflates words whose pieces predict each other. A one-piece word's score is simply log P(piece | context).
//   Lengths compete on PLL / √k, between the sum (which buries right multi-piece words) and the per-piece mean (which
//   lifts a sure word plus an unlikely suffix, `reserved12`, over the right one-piece alternatives): measured in
//   docs/whole-words.md. The probability shown is the softmax of those scores over the candidates returned (a share of
//   those candidates, not of all words).
import type { Engine, GridLogits } from './engine';
import { afterTypedSpace, continuesWord } from './edges';
import { rank } from './fill';
import type { MaskSpan } from './masks';
import { buildWindow } from './window';

/** Piece re-masking for the score: `pll` each piece alone (Salazar et al.); `l2r` the piece and the rest of the word to its right (Kauf & Ivanova 2023). */
export type WordScoring = 'pll' | 'l2r';

/**
 * l2r by measurement (docs/whole-words.md): on held-out code it finds as many multi-piece identifiers as plain PLL
 * and, unlike PLL, does not push one-piece words out of the top 5 with inflated multi-piece candidates.
 */
export const DEFAULT_SCORING: WordScoring = 'l2r';

export const MAX_PIECES_LIMIT = 8;

/** Words of k pieces are ranked on PLL / k^LENGTH_EXPONENT (0: the sum, 1: the per-piece mean; docs/whole-words.md). */
export const LENGTH_EXPONENT = 0.5;

function lengthScore(pll: number, pieces: number): number {
  return pll / pieces ** LENGTH_EXPONENT;
}

/** One-piece candidates ranked beyond topK after a typed space, so that topK remain once word continuations are passed over. */
const SPACED_SPARE = 32;

export interface WholeWordOptions {
  /** Longest word in pieces (clamped to 1..8). */
  readonly maxPieces: number;
  /** Candidates returned. */
  readonly topK: number;
  /** Beam width per word length (default min(topK, 5)): the multi-piece words considered per length. */
  readonly beam?: number;
  readonly contextTokens?: number;
  readonly scoring?: WordScoring;
  readonly isCancelled?: () => boolean;
}

export interface WordCandidate {
  /** The pieces, in order. */
  readonly ids: readonly number[];
  /** The word as written (without the word-start space of its first piece). */
  readonly text: string;
  /** The first piece continues the word before the mask. */
  readonly attach: boolean;
  /** Natural-log pseudo-log-likelihood (for one piece: log P(piece | context)). */
  readonly pll: number;
  /** PLL / k^LENGTH_EXPONENT for a word of k pieces: what lengths are compared on. */
  readonly lengthScore: number;
  /** Softmax of `lengthScore` over the candidates returned. */
  readonly score: number;
}

export interface WholeWordFill {
  readonly span: MaskSpan;
  /** Best first. */
  readonly candidates: WordCandidate[];
  /** Entropy (bits) of the one-piece distribution at the mask. */
  readonly entropy: number;
  readonly windowTokens: number;
  readonly masksInWindow: number;
}

interface PieceClasses {
  /** May start a word of several pieces. */
  readonly first: Uint8Array;
  /** May continue a word. */
  readonly cont: Uint8Array;
  /** May start a word of several pieces after a typed space: `first` without the pieces that continue a word. */
  readonly fresh: Uint8Array;
  /** Each piece's text, lower-cased, `_` removed (to spot a word echoing one of its own pieces). */
  readonly key: readonly string[];
}

const classesOf = new WeakMap<Engine, Promise<PieceClasses>>();
const IDENT = /^[\p{L}\p{N}_]+$/u;

/** Which pieces may start or continue a multi-piece word (computed once per loaded model). */
function pieceClasses(engine: Engine): Promise<PieceClasses> {
  let hit = classesOf.get(engine);
  if (!hit) {
    hit = (async () => {
      const tok = engine.tokenizer;
      const n = tok.vocabSize;
      const first = new Uint8Array(n);
      const cont = new Uint8Array(n);
      const fresh = new Uint8Array(n);
      const key: string[] = new Array<string>(n).fill('');
      const banned = engine.neverOffered;
      for (let id = 0; id < n; id++) {
        if (banned.has(id)) continue;
        const t = await tok.pieceText(id);
        if (!IDENT.test(t.text)) continue;
        key[id] = t.text.toLowerCase().replace(/_/g, '');
        first[id] = 1;
        if (t.attach) cont[id] = 1;
        else fresh[id] = 1;
      }
      return { first, cont, fresh, key };
    })();
    classesOf.set(engine, hit);
  }
  return hit;
}

/** log-softmax over the vocabulary (never-offered pieces excluded) and the `k` best pieces among `allowed`. */
function logTop(data: Float32Array, offset: number, vocab: number, banned: ReadonlySet<number>, allowed: Uint8Array, k: number, deny: (id: number) => boolean): { id: number; logp: number }[] {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (!banned.has(i) && data[offset + i] > max) max = data[offset + i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) if (!banned.has(i)) sum += Math.exp(data[offset + i] - max);
  const logZ = max + Math.log(sum);
  const top: { id: number; logp: number }[] = [];
  for (let i = 0; i < vocab; i++) {
    if (!allowed[i] || deny(i)) continue;
    const v = data[offset + i] - logZ;
    if (top.length < k || v > top[top.length - 1].logp) {
      let j = top.length < k ? top.length : k - 1;
      if (top.length < k) top.push({ id: i, logp: v });
      while (j > 0 && top[j - 1].logp < v) {
        top[j] = top[j - 1];
        j--;
      }
      top[j] = { id: i, logp: v };
    }
  }
  return top;
}

/** log P(id) at one position, never-offered pieces excluded from the normaliser. */
function logProb(data: Float32Array, offset: number, vocab: number, banned: ReadonlySet<number>, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (!banned.has(i) && data[offset + i] > max) max = data[offset + i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) if (!banned.has(i)) sum += Math.exp(data[offset + i] - max);
  return data[offset + id] - max - Math.log(sum);
}

/** The window row with the mask at `p` widened to `k` masks. */
function widen(ids: readonly number[], p: number, k: number, maskId: number): number[] {
  return [...ids.slice(0, p), ...Array<number>(k).fill(maskId), ...ids.slice(p + 1)];
}

/**
 * PLL of words that stand at position `p` of `ids` (one batched run for all pieces of all words). Words of one
 * piece are scored too (their single row), so callers can mix lengths.
 */
export async function scorePieces(engine: Engine, ids: readonly number[], p: number, words: readonly (readonly number[])[], scoring: WordScoring, isCancelled?: () => boolean, allMasked?: (k: number) => { data: Float32Array; offset: number; vocab: number } | undefined): Promise<number[]> {
  const maskId = engine.tokenizer.maskId;
  const rows: number[][] = [];
  const positions: number[][] = [];
  const owner: { w: number; i: number }[] = [];
  const out: number[] = words.map(() => 0);
  words.forEach((word, w) => {
    // l2r's first row (every piece masked) is the row generation started from: its logits may be at hand already.
    const known = scoring === 'l2r' ? allMasked?.(word.length) : undefined;
    if (known) out[w] += logProb(known.data, known.offset, known.vocab, engine.neverOffered, word[0]);
    const full = widen(ids, p, word.length, maskId);
    word.forEach((id, i) => (full[p + i] = id));
    word.forEach((_, i) => {
      if (known && i === 0) return;
      const row = [...full];
      const to = scoring === 'l2r' ? word.length : i + 1;
      for (let j = i; j < to; j++) row[p + j] = maskId;
      rows.push(row);
      positions.push([p + i]);
      owner.push({ w, i });
    });
  });
  if (!rows.length) return out;
  const grid = await engine.logitsGrid(rows, positions, isCancelled);
  owner.forEach(({ w, i }, r) => (out[w] += logProb(grid.data(r), grid.offset(r, 0), grid.vocab, engine.neverOffered, words[w][i])));
  return out;
}

/** Softmax of the length scores over the given candidates (best first). */
function normalise(list: Omit<WordCandidate, 'score'>[], topK: number): WordCandidate[] {
  const best = [...list].sort((a, b) => b.lengthScore - a.lengthScore).slice(0, topK);
  const max = best[0]?.lengthScore ?? 0;
  const z = best.reduce((s, c) => s + Math.exp(c.lengthScore - max), 0);
  return best.map((c) => ({ ...c, score: Math.exp(c.lengthScore - max) / z }));
}

/** The word's text and whether it continues the previous word. */
async function wordText(engine: Engine, ids: readonly number[]): Promise<{ text: string; attach: boolean }> {
  const parts = [];
  for (const id of ids) parts.push(await engine.tokenizer.pieceText(id));
  return { text: parts.map((t) => t.text).join(''), attach: parts[0]?.attach ?? false };
}

/** Whether the tokenizer itself spells the word's text with exactly these pieces. */
async function canonical(engine: Engine, ids: readonly number[]): Promise<boolean> {
  const again = await engine.tokenizer.encodeIds(await engine.tokenizer.decode([...ids]));
  return again.length === ids.length && again.every((id, i) => id === ids[i]);
}

export async function wholeWords(engine: Engine, text: string, span: MaskSpan, opts: WholeWordOptions): Promise<WholeWordFill> {
  const N = Math.max(1, Math.min(MAX_PIECES_LIMIT, Math.floor(opts.maxPieces)));
  const topK = Math.max(1, opts.topK);
  const B = Math.max(1, opts.beam ?? Math.min(topK, 5));
  const tok = engine.tokenizer;
  const banned = engine.neverOffered;
  // Room for the extra N-1 masks inside the model's positions.
  const budget = Math.max(8, Math.min(opts.contextTokens ?? 256, engine.info.maxTokens) - (N - 1));
  const win = await buildWindow(tok, text, engine.maskRegex, engine.files.maskToken, span, budget);
  const p = win.masks.find((m) => m.span.start === span.start)?.position ?? 0;
  const classes = N > 1 ? await pieceClasses(engine) : undefined;
  const spaced = afterTypedSpace(text, span);
  const starts = spaced ? classes?.fresh : classes?.first;

  type Beam = { readonly k: number; readonly ids: readonly number[]; readonly logp: number };
  let live: Beam[] = Array.from({ length: N }, (_, i) => ({ k: i + 1, ids: Array<number>(i + 1).fill(-1), logp: 0 }));
  const done: Beam[] = [];
  const allMasked = new Map<number, { data: Float32Array; offset: number; vocab: number }>();
  let entropy = 0;
  let ones: Beam[] = [];
  while (live.length) {
    const rows = live.map((b) => {
      const r = widen(win.ids, p, b.k, tok.maskId);
      b.ids.forEach((id, i) => id >= 0 && (r[p + i] = id));
      return r;
    });
    const open = live.map((b) => b.ids.map((id, i) => (id < 0 ? i : -1)).filter((i) => i >= 0));
    const grid: GridLogits = await engine.logitsGrid(rows, open.map((o) => o.map((i) => p + i)), opts.isCancelled);
    // The first step's rows are every length with all its masks open: l2r scores each word's first piece from them.
    live.forEach((b, bi) => b.ids.every((id) => id < 0) && allMasked.set(b.k, { data: grid.data(bi), offset: grid.offset(bi, 0), vocab: grid.vocab }));
    const next: Beam[] = [];
    live.forEach((b, bi) => {
      const data = grid.data(bi);
      if (b.k === 1) {
        // The one-piece fill: the pieces and probabilities the plain fill ranks (after a typed space, those that would
        // continue the word before it are passed over; extra are ranked so that topK remain).
        const r = rank(data, grid.offset(bi, 0), grid.vocab, spaced ? topK + SPACED_SPARE : topK, banned);
        entropy = r.entropy;
        ones = r.ids.map((id, j) => ({ k: 1, ids: [id], logp: Math.log(r.probs[j]) }));
        return;
      }
      // Most confident open position first: the one whose best allowed piece is the most probable.
      let pick: { i: number; top: { id: number; logp: number }[] } | undefined;
      open[bi].forEach((i, j) => {
        // A word never repeats one of its pieces (`CountCount`, `trim_trim`): masks side by side otherwise echo.
        const used = new Set(b.ids.filter((id) => id >= 0).map((id) => classes!.key[id]).filter((k) => k !== ''));
        const top = logTop(data, grid.offset(bi, j), grid.vocab, banned, i === 0 ? starts! : classes!.cont, B, (id) => used.has(classes!.key[id]));
        if (top.length && (!pick || top[0].logp > pick.top[0].logp)) pick = { i, top };
      });
      if (!pick) return;
      const at = pick.i;
      for (const t of pick.top) {
        const ids = [...b.ids];
        ids[at] = t.id;
        next.push({ k: b.k, ids, logp: b.logp + t.logp });
      }
    });
    live = [];
    for (let k = 2; k <= N; k++) {
      const seen = new Set<string>();
      const keep = next.filter((b) => b.k === k).sort((a, b) => b.logp - a.logp).filter((b) => {
        const key = b.ids.join(',');
        return !seen.has(key) && (seen.add(key), true);
      }).slice(0, B);
      for (const b of keep) (b.ids.every((id) => id >= 0) ? done : live).push(b);
    }
  }

  let kept = 0;
  for (const b of ones) {
    if (kept === topK) break;
    if (spaced && continuesWord(await engine.tokenizer.pieceText(b.ids[0]))) continue;
    done.push(b);
    kept++;
  }
  const multi: Beam[] = [];
  for (const b of done) if (b.k > 1 && (await canonical(engine, b.ids))) multi.push(b);
  const pll = await scorePieces(engine, win.ids, p, multi.map((b) => b.ids), opts.scoring ?? DEFAULT_SCORING, opts.isCancelled, (k) => allMasked.get(k));
  const all: Omit<WordCandidate, 'score'>[] = [];
  const byText = new Map<string, number>();
  const add = async (ids: readonly number[], score: number) => {
    const w = await wordText(engine, ids);
    const c = { ids, text: w.text, attach: w.attach, pll: score, lengthScore: lengthScore(score, ids.length) };
    const key = `${w.attach}:${w.text}`;
    const i = byText.get(key);
    if (i === undefined) {
      byText.set(key, all.length);
      all.push(c);
    } else if (c.lengthScore > all[i].lengthScore) all[i] = c;
  };
  for (const b of done) if (b.k === 1) await add(b.ids, b.logp);
  for (let i = 0; i < multi.length; i++) await add(multi[i].ids, pll[i]);
  return { span, candidates: normalise(all, topK), entropy, windowTokens: win.ids.length + N - 1, masksInWindow: win.masks.length };
}

/**
 * Given words (already split into pieces) scored at the mask as whole words — how `--targets` scores a target that
 * is several pieces. Lengths compete as in `wholeWords`; `score` is the share among these words.
 */
export async function scoreWords(engine: Engine, text: string, span: MaskSpan, words: readonly (readonly number[])[], opts: { contextTokens?: number; scoring?: WordScoring; isCancelled?: () => boolean } = {}): Promise<WholeWordFill> {
  const longest = Math.max(1, ...words.map((w) => w.length));
  const budget = Math.max(8, Math.min(opts.contextTokens ?? 256, engine.info.maxTokens) - (longest - 1));
  const win = await buildWindow(engine.tokenizer, text, engine.maskRegex, engine.files.maskToken, span, budget);
  const p = win.masks.find((m) => m.span.start === span.start)?.position ?? 0;
  const pll = await scorePieces(engine, win.ids, p, words, opts.scoring ?? DEFAULT_SCORING, opts.isCancelled);
  const one = await engine.logitsGrid([win.ids], [[p]], opts.isCancelled);
  const entropy = rank(one.data(0), one.offset(0, 0), one.vocab, 1, engine.neverOffered).entropy;
  const list: Omit<WordCandidate, 'score'>[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = await wordText(engine, words[i]);
    list.push({ ids: words[i], text: w.text, attach: w.attach, pll: pll[i], lengthScore: lengthScore(pll[i], words[i].length) });
  }
  return { span, candidates: normalise(list, words.length), entropy, windowTokens: win.ids.length + longest - 1, masksInWindow: win.masks.length };
}
