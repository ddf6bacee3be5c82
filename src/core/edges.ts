// Candidates as the text around the mask reads them: the model sees only tokens, so it cannot know that the user typed
// a space before the mask, and a byte-level vocabulary has pieces that run past the mask's right edge (`++)`, `!")`).
import { placed, type Candidate } from './candidate';
import type { MaskSpan } from './masks';

const PUNCTUATION = /^[^\p{L}\p{N}_\s]+$/u;
const WORD_START = /^[\p{L}\p{N}_]/u;

/**
 * What the editor offers at a mask: `healRightEdge` after dropping the pieces that would continue the word before a
 * space the user typed (`npm [MASK]` → not `…spec`, which would write `npmspec`: a RoBERTa mask takes the space before
 * it, so the model cannot tell). Punctuation still attaches (`free [MASK]` → `.` writes `free.`).
 */
export function fitCandidates(text: string, span: MaskSpan, candidates: readonly Candidate[]): Candidate[] {
  return healRightEdge(text, span, afterTypedSpace(text, span) ? candidates.filter((c) => !continuesWord(c)) : candidates);
}

/**
 * `fitCandidates` for whole-word fills (`maxPieces` > 1), whose scores are shares of the candidates listed: what is
 * merged or dropped changes the list, so the shares are those of the candidates left.
 */
export function fitWords(text: string, span: MaskSpan, candidates: readonly Candidate[]): Candidate[] {
  const fitted = fitCandidates(text, span, candidates);
  const sum = fitted.reduce((s, c) => s + c.score, 0);
  return sum > 0 ? fitted.map((c) => ({ ...c, score: c.score / sum })) : fitted;
}

/** Whitespace right before the mask: the user has ended the word before it. */
export function afterTypedSpace(text: string, span: MaskSpan): boolean {
  return /\s/.test(text[span.start - 1] ?? '');
}

/** A piece (or a word's first piece) that would glue letters onto the word before the mask (`…ology` after `rights `). */
export function continuesWord(piece: { readonly attach: boolean; readonly text: string }): boolean {
  return piece.attach && WORD_START.test(piece.text);
}

/**
 * The candidates as they read at this mask: a one-piece candidate whose text ends with punctuation that the text
 * right after the mask begins with loses that overlap (`++)` before `)` → `++`); one that is nothing but that
 * punctuation is dropped (it says the mask should be empty); candidates that now make the same edit are one, with
 * their probabilities added (both put that text in the document). Best first; whole words (several pieces) are unchanged.
 */
export function healRightEdge(text: string, span: MaskSpan, candidates: readonly Candidate[]): Candidate[] {
  const after = text.slice(span.end, span.end + 16);
  const merged = new Map<string, Candidate>();
  for (const c of candidates) {
    const healed = c.pieces ? c : trimmed(text, span, c, after);
    if (!healed) continue;
    // The same edit is the same fill, whichever piece it came from (`++` and `Ġ++` glued to `i` both write `++`).
    const key = `${healed.joinLeft ? '<' : ' '}${healed.insert}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, score: seen.score + healed.score } : healed);
  }
  return [...merged.values()].sort((a, b) => b.score - a.score);
}

/** The candidate without the longest punctuation suffix that `after` starts with; undefined when nothing is left. */
function trimmed(text: string, span: MaskSpan, c: Candidate, after: string): Candidate | undefined {
  for (let k = Math.min(c.text.length, after.length); k >= 1; k--) {
    const tail = c.text.slice(c.text.length - k);
    if (!PUNCTUATION.test(tail) || !after.startsWith(tail)) continue;
    const rest = c.text.slice(0, c.text.length - k);
    if (rest.trim() === '') return undefined;
    const { insert: _insert, joinLeft: _joinLeft, ...bare } = c;
    return placed(text, span, { ...bare, text: rest });
  }
  return c;
}
