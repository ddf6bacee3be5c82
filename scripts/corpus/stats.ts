// Counts files and bytes per source, language and filter stage, so the model card can say what each filter removed.

export const STAGES = ['found', 'examined', 'normalized', 'exactUnique', 'selected'] as const;
export type Stage = (typeof STAGES)[number];

export interface Tally {
  files: number;
  bytes: number;
}

type Table = Record<string, Partial<Record<string, Tally>>>;

function bump(table: Table, row: string, col: string, bytes: number): void {
  const r = (table[row] ??= {});
  const t = (r[col] ??= { files: 0, bytes: 0 });
  t.files++;
  t.bytes += bytes;
}

/** Sorted copy, so stats.json is byte-identical run to run. */
function sorted(table: Table): Table {
  const out: Table = {};
  for (const row of Object.keys(table).sort()) {
    const cols: Partial<Record<string, Tally>> = {};
    for (const col of Object.keys(table[row]).sort()) cols[col] = table[row][col];
    out[row] = cols;
  }
  return out;
}

export class CorpusStats {
  private readonly bySource: Table = {};
  private readonly byLang: Table = {};
  private readonly drops: Table = {};
  private readonly splits: Table = {};

  /** `lang` is unknown at the `found` stage (files are not read yet): such counts go to the source only. */
  stage(stage: Stage, source: string, lang: string | undefined, bytes: number): void {
    bump(this.bySource, source, stage, bytes);
    if (lang) bump(this.byLang, lang, stage, bytes);
  }

  drop(source: string, reason: string, bytes: number): void {
    bump(this.drops, source, reason, bytes);
  }

  split(split: string, source: string, lang: string, bytes: number): void {
    bump(this.splits, `${split}:source`, source, bytes);
    bump(this.splits, `${split}:lang`, lang, bytes);
  }

  sourceTally(source: string, stage: Stage): Tally {
    return this.bySource[source]?.[stage] ?? { files: 0, bytes: 0 };
  }

  langs(): string[] {
    return Object.keys(this.byLang).sort();
  }

  langTally(lang: string, stage: Stage): Tally {
    return this.byLang[lang]?.[stage] ?? { files: 0, bytes: 0 };
  }

  splitTally(split: string, by: 'source' | 'lang', key: string): Tally {
    return this.splits[`${split}:${by}`]?.[key] ?? { files: 0, bytes: 0 };
  }

  toJSON(): object {
    return {
      stages: STAGES,
      stageMeaning: {
        found: 'files matching the source include patterns (bytes as stored, compressed for .gz)',
        examined: 'files read in hash order until the source cap was reached (bytes as stored)',
        normalized: 'converted to text, normalized, and passed textKind/size/letter-share filters (bytes of text)',
        exactUnique: 'not an exact duplicate of an earlier document nor of an evaluation file',
        selected: 'not a near duplicate (MinHash) of an earlier document nor of an evaluation file',
      },
      bySource: sorted(this.bySource),
      byLang: sorted(this.byLang),
      drops: sorted(this.drops),
      splits: sorted(this.splits),
    };
  }
}
