// Puts each file in the training or the held-out set by a hash of its path, so the split is the same on every run and machine.
import { createHash } from 'node:crypto';

export interface SplitOptions {
  /** Share of files held out for evaluation, in [0, 1) (default 0.1). */
  readonly heldOutFraction?: number;
  /** Changes which files are held out without changing the share (default ''). */
  readonly salt?: string;
}

export interface Split<T> {
  readonly train: T[];
  readonly heldOut: T[];
}

/**
 * Splits by whole files (never inside a file, so held-out text is unseen text). A file's side depends only on
 * its relative path and the salt: adding or removing other files never moves it. With two or more files, each
 * side gets at least one, so a tiny corpus still has something to evaluate on and something to learn from.
 * Both sides keep the input order.
 */
export function splitFiles<T extends { readonly rel: string }>(files: readonly T[], opts: SplitOptions = {}): Split<T> {
  const fraction = opts.heldOutFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`heldOutFraction must be in [0, 1), got ${fraction}`);
  const scored = files.map((f) => ({ f, u: unitHash(`${opts.salt ?? ''}\u0000${f.rel}`) }));
  const held = new Set<T>(scored.filter((s) => s.u < fraction).map((s) => s.f));
  if (fraction > 0 && files.length >= 2) {
    // Order by hash so the forced choice is as stable as the rest of the split.
    const byHash = [...scored].sort((a, b) => a.u - b.u);
    if (held.size === 0) held.add(byHash[0].f);
    if (held.size === files.length) held.delete(byHash[byHash.length - 1].f);
  }
  return { train: files.filter((f) => !held.has(f)), heldOut: files.filter((f) => held.has(f)) };
}

/** A uniform number in [0, 1) from the first 48 bits of SHA-256. */
function unitHash(s: string): number {
  const h = createHash('sha256').update(s, 'utf8').digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}
