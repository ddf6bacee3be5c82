// Finds near-duplicate documents (forks, versions, vendored copies) with MinHash over token shingles and LSH banding.

/** Tokens: identifier/word runs and single punctuation characters, so code and prose shingle alike. */
const TOKEN = /[A-Za-z0-9_]+|[^\sA-Za-z0-9_]/g;

export interface NearDupOptions {
  /** Tokens per shingle (default 5). */
  readonly shingle?: number;
  /** Signature length = bands × rows (default 16 × 4 = 64). */
  readonly bands?: number;
  readonly rows?: number;
  /** Estimated Jaccard similarity at or above which two documents are duplicates (default 0.8). */
  readonly threshold?: number;
}

export interface NearDupMatch {
  readonly key: string;
  readonly similarity: number;
}

/** 32-bit finalizer of MurmurHash3: a cheap, well-mixed family of hash functions when xored with a seed. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * An index of accepted documents. `check` returns the most similar indexed document at or above the threshold
 * (or undefined); `add` indexes a document. Deterministic: no randomness, seeds are fixed.
 */
export class NearDupIndex {
  private readonly k: number;
  private readonly bands: number;
  private readonly rows: number;
  private readonly threshold: number;
  private readonly seeds: Uint32Array;
  private readonly buckets: Map<string, number[]>[];
  private readonly sigs: Uint32Array[] = [];
  private readonly keys: string[] = [];

  constructor(opts: NearDupOptions = {}) {
    this.k = opts.shingle ?? 5;
    this.bands = opts.bands ?? 16;
    this.rows = opts.rows ?? 4;
    this.threshold = opts.threshold ?? 0.8;
    const n = this.bands * this.rows;
    this.seeds = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.seeds[i] = fmix32(0x9e3779b9 ^ Math.imul(i + 1, 0x632be5ab));
    this.buckets = Array.from({ length: this.bands }, () => new Map<string, number[]>());
  }

  signature(text: string): Uint32Array {
    const tokens = text.match(TOKEN) ?? [];
    const th = new Uint32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) th[i] = fnv1a(tokens[i]);
    const shingles = new Set<number>();
    const count = Math.max(1, tokens.length - this.k + 1);
    for (let i = 0; i < count; i++) {
      let h = 0x2545f491;
      for (let j = i; j < Math.min(i + this.k, th.length); j++) h = fmix32(h ^ th[j]);
      shingles.add(h >>> 0);
    }
    const n = this.seeds.length;
    const sig = new Uint32Array(n).fill(0xffffffff);
    for (const s of shingles) {
      for (let p = 0; p < n; p++) {
        const v = fmix32(s ^ this.seeds[p]);
        if (v < sig[p]) sig[p] = v;
      }
    }
    return sig;
  }

  check(sig: Uint32Array): NearDupMatch | undefined {
    const seen = new Set<number>();
    let best: NearDupMatch | undefined;
    for (let b = 0; b < this.bands; b++) {
      const hits = this.buckets[b].get(this.bandKey(sig, b));
      if (!hits) continue;
      for (const id of hits) {
        if (seen.has(id)) continue;
        seen.add(id);
        const sim = similarity(sig, this.sigs[id]);
        if (sim >= this.threshold && (!best || sim > best.similarity)) best = { key: this.keys[id], similarity: sim };
      }
    }
    return best;
  }

  add(key: string, sig: Uint32Array): void {
    const id = this.sigs.length;
    this.sigs.push(sig);
    this.keys.push(key);
    for (let b = 0; b < this.bands; b++) {
      const k = this.bandKey(sig, b);
      const list = this.buckets[b].get(k);
      if (list) list.push(id);
      else this.buckets[b].set(k, [id]);
    }
  }

  private bandKey(sig: Uint32Array, b: number): string {
    return Array.from(sig.subarray(b * this.rows, (b + 1) * this.rows)).join(',');
  }
}

/** Share of equal signature slots: an unbiased estimate of the Jaccard similarity of the shingle sets. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let eq = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) eq++;
  return eq / a.length;
}
