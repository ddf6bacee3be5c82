// Builds the token window the model sees around a mask: bounded by a token budget, never by document size.
import { ClozeError } from './errors';
import type { MaskSpan } from './masks';
import { findMasks } from './masks';
import type { MaskTokenizer } from './tokenizer';

export interface TokenWindow {
  /** Framed ids: start token, context, end token. */
  readonly ids: number[];
  /** For each mask inside the window: its index in `ids` and its span in the document. */
  readonly masks: { readonly position: number; readonly span: MaskSpan }[];
}

/** Generous: code and prose rarely average more than 6 characters per token. */
const CHARS_PER_TOKEN = 6;
/** How far to look for a whitespace boundary before cutting mid-token. */
const BOUNDARY_SLACK = 48;

function cutStart(text: string, at: number): { at: number; clean: boolean } {
  if (at <= 0) return { at: 0, clean: true };
  for (let i = at; i < Math.min(text.length, at + BOUNDARY_SLACK); i++) if (/\s/.test(text[i])) return { at: i + 1, clean: true };
  return { at, clean: false };
}

function cutEnd(text: string, at: number): { at: number; clean: boolean } {
  if (at >= text.length) return { at: text.length, clean: true };
  for (let i = at; i > Math.max(0, at - BOUNDARY_SLACK); i--) if (/\s/.test(text[i - 1])) return { at: i - 1, clean: true };
  return { at, clean: false };
}

/**
 * The window around `target` (a mask span in `text`). Other masks nearby are masked in the window too, so their
 * predictions come from the same run. `budget` counts the framing tokens.
 */
export async function buildWindow(
  tok: MaskTokenizer,
  text: string,
  pattern: RegExp,
  maskToken: string,
  target: MaskSpan,
  budget: number,
): Promise<TokenWindow> {
  const inner = Math.max(1, budget - 2);
  const radius = inner * CHARS_PER_TOKEN;
  let a = cutStart(text, target.start - radius);
  let b = cutEnd(text, target.end + radius);
  // Never split a mask at the edges.
  const spans = findMasks(text, pattern, Math.max(0, a.at - 16), Math.min(text.length, b.at + 16));
  for (const s of spans) {
    if (s.start < a.at && a.at < s.end) a = { at: s.start, clean: true };
    if (s.start < b.at && b.at < s.end) b = { at: s.end, clean: true };
  }
  if (a.at > target.start) a = { at: target.start, clean: true };
  if (b.at < target.end) b = { at: target.end, clean: true };
  const inside = spans.filter((s) => s.start >= a.at && s.end <= b.at);

  // Rewrite every mask to the model's own spelling so `[MASK]` works for `<mask>` models.
  let rewritten = '';
  let cursor = a.at;
  for (const s of inside) {
    rewritten += text.slice(cursor, s.start) + maskToken;
    cursor = s.end;
  }
  rewritten += text.slice(cursor, b.at);

  let ids = await tok.encodeIds(rewritten);
  const found: number[] = [];
  ids.forEach((id, i) => id === tok.maskId && found.push(i));
  if (found.length !== inside.length) {
    throw new ClozeError('mask-mismatch', `The tokenizer produced ${found.length} mask tokens for ${inside.length} masks in the text; a mask may be glued to text the tokenizer merges with it.`);
  }
  // A cut that fell inside a token leaves a partial piece at the edge: drop it.
  let lo = a.clean ? 0 : 1;
  let hi = b.clean ? ids.length : ids.length - 1;
  const targetIdx = inside.findIndex((s) => s.start === target.start);
  const targetPos = found[targetIdx];
  if (targetPos < lo) lo = targetPos;
  if (targetPos >= hi) hi = targetPos + 1;
  if (hi - lo > inner) {
    lo = Math.max(lo, Math.min(targetPos - Math.floor(inner / 2), hi - inner));
    hi = lo + inner;
  }
  ids = ids.slice(lo, hi);
  const masks: TokenWindow['masks'] = [];
  found.forEach((p, i) => {
    if (p >= lo && p < hi) masks.push({ position: p - lo + 1, span: inside[i] });
  });
  return { ids: [tok.clsId, ...ids, tok.sepId], masks };
}
