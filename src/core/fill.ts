// Turns a row of logits into ranked candidates: special tokens excluded before the softmax, optional target list.

export interface Ranked {
  readonly ids: number[];
  readonly probs: number[];
  /** Shannon entropy of the whole distribution, in bits. */
  readonly entropy: number;
}

/**
 * Softmax over `logits[offset, offset+vocab)` with `banned` ids at −∞, then the `k` most probable ids
 * (or the given `targets`, ranked, as Hugging Face's pipeline does with `targets=`).
 */
export function rank(logits: Float32Array, offset: number, vocab: number, k: number, banned: ReadonlySet<number>, targets?: readonly number[]): Ranked {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = logits[offset + i];
    if (v > max && !banned.has(i)) max = v;
  }
  const p = new Float64Array(vocab);
  let sum = 0;
  for (let i = 0; i < vocab; i++) {
    if (banned.has(i)) continue;
    const e = Math.exp(logits[offset + i] - max);
    p[i] = e;
    sum += e;
  }
  let entropy = 0;
  for (let i = 0; i < vocab; i++) {
    if (p[i] === 0) continue;
    p[i] /= sum;
    entropy -= p[i] * Math.log2(p[i]);
  }
  let pool: number[];
  if (targets && targets.length) {
    pool = [...new Set(targets)].filter((t) => t >= 0 && t < vocab);
    pool.sort((a, b) => p[b] - p[a] || a - b);
    pool = pool.slice(0, k);
  } else {
    // Partial selection: keep the k best seen so far in a small sorted array.
    pool = [];
    for (let i = 0; i < vocab; i++) {
      if (p[i] === 0) continue;
      if (pool.length < k || p[i] > p[pool[pool.length - 1]]) {
        let j = pool.length < k ? pool.length : k - 1;
        if (pool.length < k) pool.push(i);
        while (j > 0 && p[pool[j - 1]] < p[i]) {
          pool[j] = pool[j - 1];
          j--;
        }
        pool[j] = i;
      }
    }
  }
  return { ids: pool, probs: pool.map((i) => p[i]), entropy };
}
