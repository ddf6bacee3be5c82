// Bounds on the numbers a client (or a workspace's settings file) sends: the service never trusts them as given.
import { PRECISIONS } from '../core/precision';
import type { ServiceSettings } from '../protocol';

/** The ranges package.json declares for the settings; values outside them (or not numbers) are clamped here too. */
export const LIMITS = {
  topK: { min: 1, max: 50, fallback: 8 },
  contextTokens: { min: 16, max: 4096, fallback: 256 },
  maxFileSizeMB: { min: 0.1, max: 1024, fallback: 5 },
} as const;

type Limited = keyof typeof LIMITS;

export function clamp(name: Limited, value: unknown): number {
  const { min, max, fallback } = LIMITS[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  const v = name === 'maxFileSizeMB' ? value : Math.round(value);
  return Math.min(max, Math.max(min, v));
}

export function clampSettings(s: ServiceSettings): ServiceSettings {
  // A precision the service does not know runs the float32 graph.
  const precision = PRECISIONS.find((p) => p === s.precision) ?? 'fp32';
  return { ...s, precision, topK: clamp('topK', s.topK), contextTokens: clamp('contextTokens', s.contextTokens), maxFileSizeMB: clamp('maxFileSizeMB', s.maxFileSizeMB) };
}
