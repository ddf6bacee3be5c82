// A fill candidate as the engine ranks it, and where its text goes at the mask (spacing, gluing onto the word before).
import type { MaskSpan } from './masks';

export interface Candidate {
  readonly id: number;
  /** The vocabulary piece (`##ing`, `Ġsoftware`). */
  readonly token: string;
  /** The text to show and insert. */
  readonly text: string;
  /** The piece continues the word before the mask (no space between). */
  readonly attach: boolean;
  /** Exactly what replaces the mask: `text`, with a space in front when a new word follows a word character. */
  readonly insert: string;
  /** The edit also removes the whitespace right before the mask: the piece glues onto the previous word. */
  readonly joinLeft: boolean;
  /**
   * Probability: of the piece under the model for a one-piece fill; for whole-word fills (`maxPieces` > 1), the
   * candidate's share of the candidates returned (see wholeWord.ts for how words of different lengths are compared).
   */
  readonly score: number;
  /** Whole-word fills: the vocabulary ids the word is made of (absent for a one-piece fill). */
  readonly pieces?: readonly number[];
}

/** Where a word goes at a mask: a space in front when a new word follows a word character; a continuing piece joins left. */
export function placed(text: string, span: MaskSpan, c: Omit<Candidate, 'insert' | 'joinLeft'>): Candidate {
  const before = text[span.start - 1] ?? '';
  const startsWord = /^[\p{L}\p{N}_]/u.test(c.text);
  return {
    ...c,
    insert: !c.attach && /[\p{L}\p{N}_]/u.test(before) && startsWord ? ' ' + c.text : c.text,
    joinLeft: c.attach && /\s/.test(before),
  };
}
