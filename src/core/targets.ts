// `targets` (as in the HF pipeline): the vocabulary pieces each target word stands for at one mask.
import type { Engine } from './engine';
import { ClozeError } from './errors';
import type { MaskSpan } from './masks';

/**
 * The pieces each target stands for at this mask. A target written as a vocabulary piece with the vocabulary's own
 * word marker (`Ġfree`, `##ing`, `▁free`) is that piece, as the HF pipeline's `vocab.get(target)` finds it. Any
 * other target is a word written in place of the mask: its pieces are the ones the tokenizer gives it there (so
 * `free` after a space is `Ġfree` in a byte-level vocabulary, not the bare `free` piece the pipeline's vocab.get
 * would pick). A target the tokenizer merges with the text around it is reported, never replaced.
 */
export async function targetPieces(engine: Engine, text: string, span: MaskSpan, targets: readonly string[]): Promise<{ target: string; ids: number[] }[]> {
  const out: { target: string; ids: number[] }[] = [];
  const L = text.slice(Math.max(0, span.start - 48), span.start);
  const R = text.slice(span.end, span.end + 48);
  const framed = await engine.tokenizer.encodeIds(L + engine.files.maskToken + R);
  const m = framed.indexOf(engine.tokenizer.maskId);
  for (const t of targets) {
    const direct = /^(\u0120|\u2581|##)./u.test(t) ? engine.tokenizer.tokenToId(t) : undefined;
    if (direct !== undefined) {
      out.push({ target: t, ids: [direct] });
      continue;
    }
    const ids = await engine.tokenizer.encodeIds(L + t + R);
    const tail = framed.length - m - 1;
    const same = m >= 0 && ids.length > framed.length - 1
      && framed.slice(0, m).every((id, i) => ids[i] === id)
      && framed.slice(m + 1).every((id, i) => ids[ids.length - tail + i] === id);
    if (!same) throw new ClozeError('inference', `The target "${t}" merges with the text around the mask when written there, so it is not one word at the mask; write the vocabulary piece itself (e.g. with its word marker) or change the text.`);
    out.push({ target: t, ids: ids.slice(m, ids.length - tail) });
  }
  return out;
}
