// Joint fills: several masks of one window filled together so the words agree (`copy … license`), by a beam over the
// masks, most confident first, each conditioned on the ones already filled.
import { placed } from './candidate';
import type { Engine, FillOptions } from './engine';
import { rank } from './fill';
import type { MaskSpan } from './masks';

/** One consistent assignment of words to several masks, with its probability under the model. */
export interface JointAlternative {
  readonly texts: string[];
  /** Exactly what replaces each mask (spacing as for a Candidate's `insert`). */
  readonly inserts: string[];
  readonly ids: number[];
  /** Product of the chosen pieces' probabilities, each conditioned on the masks filled before it. */
  readonly score: number;
}

export interface JointFill {
  /** The masks filled together (the one asked about and its nearest neighbours), in document order. */
  readonly spans: MaskSpan[];
  /** Best first. */
  readonly alternatives: JointAlternative[];
}

export interface JointOptions extends FillOptions {
  /** Partial assignments kept after each mask (default 3). */
  readonly beam?: number;
  /** Most masks filled together, the one asked about included (default 4). */
  readonly maxMasks?: number;
  /** Only masks inside this range (e.g. the mask's line) are filled; others stay masked in the window. */
  readonly within?: { start: number; end: number };
}

/**
 * Fills the mask at `offset` together with up to `maxMasks - 1` other masks in its window, so the words agree with
 * each other: masks are filled most-confident first, each conditioned on the ones already filled, keeping a beam of
 * the `beam` best partial assignments (one batched model run per mask).
 */
export async function fillJoint(engine: Engine, text: string, offset: number, opts: JointOptions = {}): Promise<JointFill | undefined> {
  const span = engine.maskAt(text, offset);
  if (!span) return undefined;
  const win = await engine.windowAround(text, span, opts.contextTokens);
  const target = win.masks.findIndex((m) => m.span.start === span.start);
  // `within` (e.g. the mask's line): masks outside it stay masked in the window but are not filled.
  const inside = (m: { span: MaskSpan }) => !opts.within || (m.span.start >= opts.within.start && m.span.end <= opts.within.end);
  const chosen = win.masks
    .map((m, i) => ({ m, d: Math.abs(m.position - win.masks[target].position), i }))
    .filter((x) => x.i === target || inside(x.m))
    .sort((a, b) => a.d - b.d)
    .slice(0, opts.maxMasks ?? 4)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.m);
  if (chosen.length < 2) return undefined;
  const beamWidth = opts.beam ?? 3;
  const banned = engine.neverOffered;
  const scoreRows = (rows: number[][], pos: number) => engine.logitsAtRows(rows, rows.map(() => pos), opts.isCancelled);
  // Order: most confident mask first, judged from one run with every mask open.
  const first = await engine.logitsGrid([win.ids], [chosen.map((m) => m.position)], opts.isCancelled);
  const confidence = chosen.map((_, i) => rank(first.data(0), first.offset(0, i), first.vocab, 1, banned).probs[0] ?? 0);
  const order = chosen.map((_, i) => i).sort((a, b) => confidence[b] - confidence[a]);

  type Beam = { ids: number[]; picks: number[]; logp: number };
  let beams: Beam[] = [{ ids: [...win.ids], picks: chosen.map(() => -1), logp: 0 }];
  for (const mi of order) {
    const pos = chosen[mi].position;
    const out = await scoreRows(beams.map((b) => b.ids), pos);
    const next: Beam[] = [];
    beams.forEach((b, bi) => {
      const r = rank(out.data, out.offset(bi), out.vocab, beamWidth, banned);
      r.ids.forEach((id, j) => {
        const ids = [...b.ids];
        ids[pos] = id;
        const picks = [...b.picks];
        picks[mi] = id;
        next.push({ ids, picks, logp: b.logp + Math.log(r.probs[j]) });
      });
    });
    beams = next.sort((a, b) => b.logp - a.logp).slice(0, beamWidth);
  }
  const alternatives: JointAlternative[] = [];
  for (const b of beams) {
    const texts: string[] = [];
    const inserts: string[] = [];
    for (let i = 0; i < b.picks.length; i++) {
      const t = await engine.tokenizer.pieceText(b.picks[i]);
      texts.push(t.text);
      inserts.push(placed(text, chosen[i].span, { id: b.picks[i], token: '', text: t.text, attach: t.attach, score: 0 }).insert);
    }
    alternatives.push({ texts, inserts, ids: b.picks, score: Math.exp(b.logp) });
  }
  return { spans: chosen.map((m) => m.span), alternatives };
}
