// Small sample module for trying Cloze in TypeScript.

/** Returns the largest [MASK] in the list, or undefined when it is empty. */
export function largest(values: number[]): number | undefined {
  let best: number | undefined;
  for (const v of values) {
    if (best === undefined || v > best) best = v;
  }
  return best;
}

// This program is free [MASK].
console.log(largest([3, 1, 4, 1, 5]));
