// Puts each file in the training or the held-out set by a hash of its path, capped by size, so the split is the same on every run and machine.
import { createHash } from 'node:crypto';

export interface SplitOptions {
  /** Share of files held out for evaluation, in [0, 1) (default 0.1). */
  readonly heldOutFraction?: number;
  /** Changes which files are held out without changing the share (default ''). */
  readonly salt?: string;
  /**
   * 'size' (default): capped by estimated tokens, as below. 'hash': each file whose path hash is under the fraction,
   * whatever its size — the split of runs planned before the cap, kept so that they resume exactly.
   */
  readonly by?: 'size' | 'hash';
}

export interface Split<T> {
  readonly train: T[];
  readonly heldOut: T[];
}

/**
 * Splits by whole files (never inside a file, so held-out text is unseen text), capped by size: files are taken in
 * the order of a hash of their relative path (and the salt) while their sizes add up to at most `heldOutFraction`
 * of the whole, so one big file cannot hold out most of the text. The size of an item with `text` is its estimated
 * token count (see estimateTokens: independent of the tokenizer, so the preview, a tokenizer trained on the training
 * side and the trainer all see the same split), else its `bytes`, else 1. With two or more files each side gets at
 * least one (the smallest file when none fits under the cap). Deterministic; both sides keep the input order.
 */
export function splitFiles<T extends { readonly rel: string; readonly text?: string; readonly bytes?: number }>(files: readonly T[], opts: SplitOptions = {}): Split<T> {
  const fraction = opts.heldOutFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`heldOutFraction must be in [0, 1), got ${fraction}`);
  const byHash = files.map((f) => ({ f, u: unitHash(`${opts.salt ?? ''}\u0000${f.rel}`) })).sort((a, b) => a.u - b.u);
  const held = new Set<T>();
  if (opts.by === 'hash') {
    for (const { f, u } of byHash) if (u < fraction) held.add(f);
    if (fraction > 0 && files.length >= 2) {
      if (held.size === 0) held.add(byHash[0].f);
      if (held.size === files.length) held.delete(byHash[byHash.length - 1].f);
    }
  } else if (fraction > 0) {
    const sizes = new Map<T, number>(files.map((f) => [f, f.text !== undefined ? estimateTokens(f.text) : Math.max(0, f.bytes ?? 1)]));
    const size = (f: T): number => sizes.get(f)!;
    const cap = fraction * files.reduce((n, f) => n + size(f), 0);
    let sum = 0;
    for (const { f } of byHash) {
      if (sum + size(f) > cap) continue;
      held.add(f);
      sum += size(f);
    }
    if (files.length >= 2) {
      if (held.size === 0) held.add(byHash.reduce((a, b) => (size(b.f) < size(a.f) ? b : a)).f);
      if (held.size === files.length) held.delete(byHash[byHash.length - 1].f);
    }
  }
  return { train: files.filter((f) => !held.has(f)), heldOut: files.filter((f) => held.has(f)) };
}

/**
 * About how many tokens a subword tokenizer makes of `text`: runs of letters, runs of digits and single symbols (what
 * BERT- and BPE-style pre-tokenizers split on), a long run counting one more per 8 characters, plus the framing.
 */
export function estimateTokens(text: string): number {
  let n = 2;
  for (const m of text.matchAll(/[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu)) n += 1 + (m[0].length >> 3);
  return n;
}

/** A uniform number in [0, 1) from the first 48 bits of SHA-256. */
function unitHash(s: string): number {
  const h = createHash('sha256').update(s, 'utf8').digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}
