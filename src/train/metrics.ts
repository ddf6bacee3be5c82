// Adds up masked-token evaluation over batches into accuracy and perplexity, weighting every masked token equally.

/** Held-out masks come from this fixed seed, so every evaluation (the trainer's and `cloze eval`'s) scores the same targets. */
export const EVAL_SEED = 1234;

/** One batch's sums, as the eval step reports them. */
export interface EvalSums {
  /** Sum of the cross-entropy (natural log) over the batch's targets. */
  readonly lossSum: number;
  /** Number of targets. */
  readonly count: number;
  /** Targets whose label was the model's first choice. */
  readonly top1: number;
  /** Targets whose label was among the model's five best. */
  readonly top5: number;
}

export interface EvalResult {
  /** Fraction in [0, 1]. */
  readonly top1: number;
  /** Fraction in [0, 1]. */
  readonly top5: number;
  /** Mean cross-entropy per masked token (nats). */
  readonly loss: number;
  /** exp(loss). */
  readonly perplexity: number;
  readonly maskedTokens: number;
}

export class MaskedLmMetrics {
  private lossSum = 0;
  private count = 0;
  private top1 = 0;
  private top5 = 0;

  add(s: EvalSums): void {
    if (!Number.isFinite(s.lossSum)) throw new RangeError(`non-finite loss sum ${s.lossSum}`);
    this.lossSum += s.lossSum;
    this.count += s.count;
    this.top1 += s.top1;
    this.top5 += s.top5;
  }

  get maskedTokens(): number {
    return this.count;
  }

  /** Averages so far; NaN fields when nothing was evaluated. */
  result(): EvalResult {
    const n = this.count;
    const loss = n > 0 ? this.lossSum / n : NaN;
    return { top1: n > 0 ? this.top1 / n : NaN, top5: n > 0 ? this.top5 / n : NaN, loss, perplexity: Math.exp(loss), maskedTokens: n };
  }
}

/**
 * Scores targets from full logit rows (for models run as plain inference graphs): cross-entropy by a stable
 * log-sum-exp, and the label's rank among all ids, counting ties against the label.
 */
export function scoreLogitRows(logits: Float32Array, vocab: number, rows: readonly { readonly offset: number; readonly label: number }[]): EvalSums {
  let lossSum = 0, top1 = 0, top5 = 0;
  for (const { offset, label } of rows) {
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (logits[offset + v] > max) max = logits[offset + v];
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
    const target = logits[offset + label];
    lossSum += max + Math.log(sum) - target;
    let better = 0;
    for (let v = 0; v < vocab && better < 5; v++) if (v !== label && logits[offset + v] >= target) better++;
    if (better < 1) top1++;
    if (better < 5) top5++;
  }
  return { lossSum, count: rows.length, top1, top5 };
}
