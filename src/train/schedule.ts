// Learning-rate schedule: linear warm-up to the peak, then linear or cosine decay to peak · minRatio.

export interface Schedule {
  peak: number;
  /** Steps of linear warm-up from 0 (step 0 has lr 0 only when warmup > 0; see learningRate). */
  warmup: number;
  /** Total steps; at and beyond it the rate stays at peak · minRatio. */
  total: number;
  decay: 'linear' | 'cosine';
  /** Floor as a fraction of the peak (default 0). */
  minRatio?: number;
}

/**
 * The learning rate of 0-based `step`: (step + 1) / warmup · peak during warm-up (so the first step already
 * learns), then decays from the peak at step = warmup to peak · minRatio at step = total.
 */
export function learningRate(step: number, s: Schedule): number {
  const floor = s.peak * (s.minRatio ?? 0);
  if (step < s.warmup) return (s.peak * (step + 1)) / s.warmup;
  const span = s.total - s.warmup;
  if (span <= 0 || step >= s.total) return span <= 0 ? s.peak : floor;
  const progress = (step - s.warmup) / span;
  const shape = s.decay === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return floor + (s.peak - floor) * shape;
}
