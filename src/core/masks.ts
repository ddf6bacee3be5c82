// Finds mask tokens in text: the universal `[MASK]` plus the model's own spelling (e.g. `<mask>`).

export interface MaskSpan {
  /** Character offsets into the text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

export const UNIVERSAL_MASK = '[MASK]';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function maskPattern(modelMask: string): RegExp {
  const spellings = [...new Set([UNIVERSAL_MASK, modelMask])].sort((a, b) => b.length - a.length);
  return new RegExp(spellings.map(escape).join('|'), 'g');
}

/** Every mask in text[from, to), in order. */
export function findMasks(text: string, pattern: RegExp, from = 0, to = text.length): MaskSpan[] {
  const re = new RegExp(pattern.source, 'g');
  re.lastIndex = from;
  const out: MaskSpan[] = [];
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    if (m.index + m[0].length > to) break;
    out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** The mask under or just before `offset` (a cursor right after `]` still belongs to the mask). */
export function maskAt(text: string, pattern: RegExp, offset: number): MaskSpan | undefined {
  const longest = 32;
  for (const m of findMasks(text, pattern, Math.max(0, offset - longest), Math.min(text.length, offset + longest))) {
    if (m.start <= offset && offset <= m.end) return m;
  }
  return undefined;
}
